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
            {"results":[{"labels":["spam","ham"],"logit_mean":[-1.50,-0.21],"logit_covariance":[[73.0,20.1],[20.1,66.7]],
              "logit_variance":[73.0,66.7],"probabilities":{"map":[0.215,0.785],"sampled_mean":[0.459,0.541],
              "sampled_std":[0.471,0.471],"probit":[0.441,0.559]},"prediction":"ham","confidence":0.541,
              "uncertainty":{"total_entropy":0.690,"aleatoric":0.087,"epistemic":0.603},"prediction_id":"019ae4a1-6c2e-7b1d-9f30-4d8a2c6e1b57"}],
             "metadata":{"adapter":"spam","adapter_sha256":"0c63f9ad2654…","bundle":"demo","method":"laplace","prior_precision":6.30,
              "samples":1000,"seed":1,"batch_prompts":1,"timings_ms":{"queue":4.9,"forward":12.4,"gradients":35.8,"covariance":10.5,"sampling":2.4,"total":67.3}},
             "calibration":{"splits":{"test":{"map":{"acc":0.873,"ece":0.090,"nll":0.414,"brier":0.209,"n":600},
              "laplace":{"acc":0.875,"ece":0.149,"nll":0.413,"brier":0.247,"n":600}}},"data_sha256":"8d28a8fb…","ece_bins":15}}
            """,
        ["Tokenize"] = """
            {"adapter":"wordnet-mcq","tokenizer":"tokenizer.model","label_context":"\nAnswer:",
             "prompts":[{"text":"Sense: a flow of water\nAnswer:","ids":[1,317,1947,29901,263,4972,310,4094,13,22550,29901],
              "tokens":["<s>","▁S","ense",":","▁a","▁flow","▁of","▁water","<0x0A>","Answer",":"]}],
             "labels":[{"label":"A","id":319,"token":"▁A"},{"label":"B","id":350,"token":"▁B"},{"label":"C","id":315,"token":"▁C"},{"label":"D","id":360,"token":"▁D"}]}
            """,
        ["Reward"] = """
            {"pairs":[{"chosen_reward_mean":0.412,"chosen_reward_variance":0.087,"rejected_reward_mean":-0.351,"rejected_reward_variance":0.091,
              "reward_covariance":0.062,"difference_mean":0.763,"difference_variance":0.054,"p_chosen_preferred":0.679,"p_chosen_preferred_std":0.011,
              "p_chosen_preferred_probit":0.679,"p_reward_higher":0.9995,"p_map":0.682,"chosen_score":0.117,"rejected_score":-0.653,
              "prediction_id":"019ae4a1-7d01-7c44-8e2b-61f0a9d3c218"}],
             "metadata":{"adapter":"vader-reward","adapter_sha256":"f831ad945afc…","bundle":"demo","method":"laplace","prior_precision":12.6,"samples":1000,
              "seed":42,"approximation":"mc","batch_texts":2,"timings_ms":{"queue":1.2,"forward":6.1,"gradients":9.8,"covariance":1.4,"sampling":1.1,"total":20.3}},
             "calibration":{"splits":{"test":{"map":{"acc":0.603,"ece":0.098,"nll":0.705,"brier":0.496,"n":1000,
              "human_votes":{"mae":0.314,"brier":0.1446,"correlation":0.137,"cross_entropy":0.731,"vote_entropy":0.344}}}},"ece_bins":15}}
            """,
        ["RecordOutcomes"] = """
            {"accepted":1}
            """,
        ["LiveCalibration"] = """
            {"adapter":"spam","window_outcomes":1000,"window_hours":24,"methods":[{"method":"laplace","outcomes":412,"predictions":5230,
              "outcome_coverage":0.0788,"live":{"acc":0.861,"ece":0.071,"nll":0.402,"brier":0.231,"n":412,"bins":[{"lower":0.5333,"upper":0.6,"count":37,"confidence":0.569,"accuracy":0.595}]},
              "offline":{"acc":0.875,"ece":0.148,"nll":0.412,"brier":0.247,"n":600,"bins":[{"lower":0.5333,"upper":0.6,"count":41,"confidence":0.571,"accuracy":0.610}]},
              "drift":{"flag":false,"offline_ece":0.148,"margin":0.05,"live_ece_lower":0.052,"live_ece_upper":0.097,"outcomes":412,"min_outcomes":200,
               "reason":"live ECE's 5th bootstrap percentile 0.052 is within the offline 0.148 + 0.050"},
              "selective":{"target_accuracy":0.95,"threshold":0.9333,"coverage":0.612,"accuracy":0.957}}]}
            """,
        ["OpenRlhfReward"] = """
            {"rewards":[0.232],"scores":[0.232],"reward_variances":[1.122],
             "extra_logs":{"reward_mean":[1.292],"reward_variance":[1.122],"reward_std":[1.059]}}
            """,
        ["VllmClassify"] = """
            {"id":"classify-46ef8840c6464734b37019db4742074a","object":"list","created":1796304261,"model":"spam",
             "data":[{"index":0,"label":"ham","probs":[0.326,0.674],"num_classes":2,
              "uncertainty":{"method":"laplace","labels":["spam","ham"],"logit_mean":[-2.314,0.760],"logit_variance":[12.88,31.08],
               "probs_map":[0.044,0.956],"probs_probit":[0.241,0.759],"probs_std":[0.416,0.416],"total_entropy":0.651,"aleatoric":0.182,"epistemic":0.469}}],
             "usage":{"prompt_tokens":29,"total_tokens":29,"completion_tokens":0}}
            """,
        ["TeiPredict"] = """
            [{"score":0.674,"label":"ham"},{"score":0.326,"label":"spam"}]
            """,
        ["ListModels"] = """
            [{"name":"demo","model_type":"llama","hidden_size":128,"layers":4,"vocab_size":32000,"dtype":"float32","device":"cpu","adapters":["spam","wordnet-mcq"]}]
            """,
        ["ListAdapters"] = """
            [{"id":"spam","base":"demo","kind":"classification","methods":["map","laplace","blob","swag","ensemble","svgd","mc_dropout"],"default_method":"laplace","labels":["spam","ham"]}]
            """,
        ["GetAdapter"] = """
            {"id":"spam","base":"demo","kind":"classification","labels":["spam","ham"],"label_tokens":["yes","no"],
             "prompt_template":"E-mail:\n{email}\nIs this e-mail spam? Answer:","template_fields":["email"],"methods":["map","laplace","blob","swag","ensemble","svgd","mc_dropout"],
             "default_method":"laplace","lora":{"rank":8,"alpha":16,"modules":["model.layers.0.self_attn.q_proj"],"parameter_count":16384,"task_type":"CAUSAL_LM"},
             "posterior":{"method":"laplace","prior_precision":6.30,"prior_tuning":"evidence","log_evidence":-310.2,"samples":1000,"n_examples":300,"fisher":"exact","positions":"expand"},
             "sampled_posteriors":[{"method":"blob","file":"blob.safetensors","default_samples":10,"max_samples":null,"details":{"sigma_mapping":"square","prior_std":"0.2"}},
              {"method":"swag","file":"swag.safetensors","default_samples":10,"max_samples":null,"details":{"deviation_columns":"10","scale":"0.5","snapshots":"20"}},
              {"method":"ensemble","file":"ensemble.safetensors","default_samples":5,"max_samples":5,"details":{"training":"independent","members":"5"}},
              {"method":"svgd","file":"svgd.safetensors","default_samples":5,"max_samples":5,"details":{"training":"svgd","members":"5"}},
              {"method":"mc_dropout","file":"mc_dropout.safetensors","default_samples":10,"max_samples":null,"details":{"dropout":"0.1"}}],
             "sha256":"3db69235c143…","loaded_at":"2026-11-22T15:00:00Z"}
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
