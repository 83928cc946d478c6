# What tools/train-bundle.sh and tools/train-posteriors.sh share: the CLI they run, their timing helper
# and the demo adapters' training settings.
cli=(dotnet run --project src/UncertaintyService.Cli -c Release --no-build --)

# step NAME COMMAND...: runs the command and appends "time NAME <seconds> s" to $timings.
step() { local name=$1; shift; local start=$SECONDS; "$@"; echo "time $name $((SECONDS - start)) s" | tee -a "$timings"; }

# wordnet-mcq trains on 2,000 of its 4,000 training questions; spam on every training e-mail, each cut to
# its last 128 tokens (the cost of every fit and evaluation is about proportional to the tokens).
declare -A train_size=([wordnet-mcq]=2000 [spam]=1967)
declare -A max_tokens=([wordnet-mcq]=256 [spam]=128)
declare -A steps=([wordnet-mcq]=1500 [spam]=400 [vader-reward]=800)
# Ensemble and SVGD members (three for the classification adapters, whose e-mails and questions make every
# member cost minutes on two cores).
declare -A members=([wordnet-mcq]=3 [spam]=3 [vader-reward]=5)
