using Swashbuckle.AspNetCore.SwaggerGen;

namespace UncertaintyService.Api.Hosting;

/// <summary>Swagger document: summaries from the routes, schemas and examples from the XML docs of the contracts.</summary>
public static class OpenApiSetup
{
    public static void Configure(SwaggerGenOptions options)
    {
        options.SwaggerDoc("v1", new()
        {
            Title = "UncertaintyService",
            Version = "v1",
            Description = "Calibrated uncertainty from fine-tuned LLMs: logit means and covariances, sampled and probit probabilities, "
                + "and the entropy split, from a Laplace posterior over LoRA weights.",
        });
        options.AddSecurityDefinition(RequestExamplesFilter.ApiKeyScheme, new Microsoft.OpenApi.OpenApiSecurityScheme
        {
            Type = Microsoft.OpenApi.SecuritySchemeType.ApiKey,
            In = Microsoft.OpenApi.ParameterLocation.Header,
            Name = "X-Api-Key",
            Description = "The admin key (UncertaintyService:Admin:ApiKey) for loading and unloading adapters.",
        });
        options.OperationFilter<RequestExamplesFilter>();
        options.OperationFilter<ProblemExamplesFilter>();
        options.OperationFilter<SuccessExamplesFilter>();
        var xml = Path.Combine(AppContext.BaseDirectory, "UncertaintyService.Api.xml");
        if (File.Exists(xml)) options.IncludeXmlComments(xml);
    }
}
