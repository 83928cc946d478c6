using System.Text.Json.Nodes;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace UncertaintyService.Api.Hosting;

/// <summary>An example body for every success response, keyed by route name, so Swagger UI shows what comes back.</summary>
public sealed class SuccessExamplesFilter : IOperationFilter
{
    private static readonly Dictionary<string, string> Examples = new()
    {
        ["Classify"] = """
            {"results":[{"labels":["A","B","C","D"],"logit_mean":[2.733,2.688,3.205,2.126],
              "logit_covariance":[[2.11,1.63,0.56,1.46],[1.63,2.39,1.09,1.49],[0.56,1.09,2.06,0.23],[1.46,1.49,0.23,2.19]],
              "logit_variance":[2.11,2.39,2.06,2.19],"probabilities":{"map":[0.244,0.233,0.391,0.133],"sampled_mean":[0.243,0.214,0.389,0.155],
              "sampled_std":[0.178,0.148,0.269,0.149],"probit":[0.251,0.230,0.361,0.158]},"prediction":"C","confidence":0.389,
              "uncertainty":{"total_entropy":1.330,"aleatoric":1.053,"epistemic":0.277},"prediction_id":"01a23d4d-2598-70d8-ae3e-d88639d1565e"}],
             "metadata":{"adapter":"wordnet-mcq","adapter_sha256":"9cd90f0f975e…","bundle":"demo","method":"laplace","prior_precision":6.76,
              "samples":2000,"seed":7,"batch_prompts":1,"timings_ms":{"queue":9.3,"forward":15.0,"gradients":71.9,"covariance":18.4,"sampling":11.5,"total":131.0}},
             "calibration":{"splits":{"test":{"map":{"acc":0.523,"ece":0.021,"nll":1.108,"brier":0.601,"n":1000},
              "laplace":{"acc":0.508,"ece":0.042,"nll":1.139,"brier":0.617,"n":1000}}},"data_sha256":"0790943d…","ece_bins":15}}
            """,
        ["Tokenize"] = """
            {"adapter":"wordnet-mcq","tokenizer":"tokenizer.model","label_context":"\nAnswer:",
             "prompts":[{"text":"Sense: a flow of water\nAnswer:","ids":[1,317,1947,29901,263,4972,310,4094,13,22550,29901],
              "tokens":["<s>","▁S","ense",":","▁a","▁flow","▁of","▁water","<0x0A>","Answer",":"]}],
             "labels":[{"label":"A","id":319,"token":"▁A"},{"label":"B","id":350,"token":"▁B"},{"label":"C","id":315,"token":"▁C"},{"label":"D","id":360,"token":"▁D"}]}
            """,
        ["Reward"] = """
            {"pairs":[{"chosen_reward_mean":3.101,"chosen_reward_variance":2.312,"rejected_reward_mean":-1.042,"rejected_reward_variance":2.369,
              "reward_covariance":1.330,"difference_mean":4.143,"difference_variance":2.022,"p_chosen_preferred":0.964,"p_chosen_preferred_std":0.058,
              "p_chosen_preferred_probit":0.957,"p_reward_higher":0.998,"p_map":0.984,"chosen_score":1.580,"rejected_score":-2.581,
              "prediction_id":"01a23d4d-af0d-7c5c-b093-cd5a174a9552"}],
             "metadata":{"adapter":"vader-reward","adapter_sha256":"e5dfabaf7b77…","bundle":"demo","method":"laplace","prior_precision":9.75,"samples":2000,
              "seed":7,"approximation":"mc","batch_texts":2,"timings_ms":{"queue":5.3,"forward":32.1,"gradients":50.1,"covariance":68.6,"sampling":0.9,"total":158.2},
              "risk":"lower_bound","risk_coefficient":1},
             "calibration":{"splits":{"test":{"map":{"acc":0.633,"ece":0.150,"nll":0.714,"brier":0.480,"n":1000,
              "human_votes":{"mae":0.288,"brier":0.1389,"correlation":0.260,"cross_entropy":0.749,"vote_entropy":0.344}}}},"ece_bins":15}}
            """,
        ["RecordOutcomes"] = """
            {"accepted":1}
            """,
        ["LiveCalibration"] = """
            {"adapter":"spam","window_outcomes":1000,"window_hours":24,"methods":[{"method":"laplace","outcomes":412,"predictions":5230,
              "outcome_coverage":0.0788,"live":{"acc":0.861,"ece":0.071,"nll":0.402,"brier":0.231,"n":412,"bins":[{"lower":0.5333,"upper":0.6,"count":37,"confidence":0.569,"accuracy":0.595}]},
              "offline":{"acc":0.963,"ece":0.149,"nll":0.224,"brier":0.112,"n":600,"bins":[{"lower":0.5333,"upper":0.6,"count":41,"confidence":0.571,"accuracy":0.610}]},
              "drift":{"flag":false,"offline_ece":0.149,"margin":0.05,"live_ece_lower":0.052,"live_ece_upper":0.097,"outcomes":412,"min_outcomes":200,
               "reason":"live ECE's 5th bootstrap percentile 0.052 is within the offline 0.149 + 0.050"},
              "selective":{"target_accuracy":0.95,"threshold":0.9333,"coverage":0.612,"accuracy":0.957}}]}
            """,
        ["OpenRlhfReward"] = """
            {"rewards":[1.580,-2.581],"scores":[1.580,-2.581],"reward_variances":[2.312,2.369],
             "extra_logs":{"reward_mean":[3.101,-1.042],"reward_variance":[2.312,2.369],"reward_std":[1.521,1.539]}}
            """,
        ["VllmClassify"] = """
            {"id":"classify-f04b3f997a194334be48e3d92dcd7405","object":"list","created":1796324834,"model":"spam",
             "data":[{"index":0,"label":"spam","probs":[0.616,0.384],"num_classes":2,
              "uncertainty":{"method":"laplace","labels":["spam","ham"],"logit_mean":[1.272,0.589],"logit_variance":[3.305,2.628],
               "probs_map":[0.664,0.336],"probs_probit":[0.605,0.395],"probs_std":[0.298,0.298],"total_entropy":0.666,"aleatoric":0.454,"epistemic":0.212}}],
             "usage":{"prompt_tokens":29,"total_tokens":29,"completion_tokens":0}}
            """,
        ["TeiPredict"] = """
            [{"score":0.616,"label":"spam"},{"score":0.384,"label":"ham"}]
            """,
        ["ListModels"] = """
            [{"name":"demo","model_type":"llama","hidden_size":192,"layers":6,"vocab_size":32000,"dtype":"float32","device":"cpu","adapters":["spam","vader-reward","wordnet-mcq"]}]
            """,
        ["ListAdapters"] = """
            [{"id":"wordnet-mcq","base":"demo","kind":"classification","methods":["map","temperature","laplace","blob","swag","ensemble","svgd","mc_dropout"],"default_method":"laplace","labels":["A","B","C","D"]}]
            """,
        ["GetAdapter"] = """
            {"id":"wordnet-mcq","base":"demo","kind":"classification","labels":["A","B","C","D"],"label_tokens":["A","B","C","D"],
             "prompt_template":"Which WordNet category does this noun sense belong to?\nSense: {text}\nA. {a}\nB. {b}\nC. {c}\nD. {d}\nAnswer:",
             "template_fields":["text","a","b","c","d"],"methods":["map","temperature","laplace","blob","swag","ensemble","svgd","mc_dropout"],
             "default_method":"laplace","lora":{"rank":8,"alpha":16,"modules":["model.layers.0.self_attn.q_proj","model.layers.0.self_attn.v_proj"],"parameter_count":30720,"task_type":"CAUSAL_LM"},
             "posterior":{"method":"laplace","prior_precision":6.76,"prior_tuning":"evidence","log_evidence":-4388.1,"samples":1000,"n_examples":2000,"fisher":"exact","positions":"expand"},
             "sampled_posteriors":[{"method":"blob","file":"blob.safetensors","default_samples":10,"details":{"sigma_mapping":"square","prior_std":"0.2"}},
              {"method":"swag","file":"swag.safetensors","default_samples":10,"details":{"deviation_columns":"10","scale":"0.5","snapshots":"20"}},
              {"method":"ensemble","file":"ensemble.safetensors","default_samples":3,"max_samples":3,"details":{"training":"independent","members":"3"}},
              {"method":"svgd","file":"svgd.safetensors","default_samples":3,"max_samples":3,"details":{"training":"svgd","members":"3"}},
              {"method":"mc_dropout","file":"mc_dropout.safetensors","default_samples":10,"details":{"dropout":"0.1"}}],
             "sha256":"9cd90f0f975e…","loaded_at":"2026-12-03T19:06:11Z"}
            """,
    };

    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        var name = context.ApiDescription.ActionDescriptor.EndpointMetadata.OfType<IEndpointNameMetadata>().FirstOrDefault()?.EndpointName;
        if (operation.Responses is null) return;
        foreach (var (status, response) in operation.Responses)
        {
            if (!status.StartsWith('2') || response.Content is null) continue;
            var example = name == "LoadAdapter" ? Examples["GetAdapter"] : name is not null ? Examples.GetValueOrDefault(name) : null;
            if (example is null) continue;
            foreach (var media in response.Content.Values)
                media.Example = JsonNode.Parse(example);
        }
    }
}
