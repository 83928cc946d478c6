using UncertaintyService.Api.Serving;
using UncertaintyService.Core.Bundles;
using UncertaintyService.Core.Sampling;

namespace UncertaintyService.Api.Http;

public static class AdapterEndpoints
{
    // GET, documented, and HEAD, answered the same way with the body left out, undocumented.
    private static RouteHandlerBuilder MapRead(RouteGroupBuilder v1, string path, Delegate handler)
    {
        v1.MapMethods(path, [HttpMethods.Head], handler).ExcludeFromDescription().AddEndpointFilter(async (context, next) =>
        {
            context.HttpContext.Response.Body = Stream.Null;
            return await next(context);
        });
        return v1.MapGet(path, handler);
    }

    public static void Map(RouteGroupBuilder v1)
    {
        MapRead(v1, "/models", Models)
            .WithName("ListModels").WithSummary("Loaded base models and their adapters").WithTags("Models")
            .Produces<IReadOnlyList<ModelInfo>>();
        MapRead(v1, "/adapters", List)
            .WithName("ListAdapters").WithSummary("Loaded adapters with their kind, methods and labels").WithTags("Adapters")
            .Produces<IReadOnlyList<AdapterSummary>>();
        MapRead(v1, "/adapters/{id}", Get)
            .WithName("GetAdapter").WithSummary("One adapter with its posterior and full calibration metadata").WithTags("Adapters")
            .Produces<AdapterDetails>()
            .ProducesProblem(StatusCodes.Status404NotFound);
        MapRead(v1, "/adapters/{id}/reliability/{split}/{method}.svg", Reliability)
            .WithName("ReliabilityDiagram").WithSummary("The reliability diagram of one split and method of the adapter's calibration.json, as SVG").WithTags("Adapters")
            .Produces(StatusCodes.Status200OK, contentType: "image/svg+xml")
            .ProducesProblem(StatusCodes.Status404NotFound);
    }

    private static IResult Reliability(string id, string split, string method, AdapterRegistry registry)
    {
        var adapter = registry.Find(id)
            ?? throw new ServiceException(ErrorKind.NotFound, "Adapter not found", $"'{id}' is not loaded; GET /v1/adapters lists the adapters");
        var metrics = adapter.Calibration?.Splits.GetValueOrDefault(split)?.GetValueOrDefault(method)
            ?? throw new ServiceException(ErrorKind.NotFound, "No reliability diagram",
                $"'{id}' has no calibration for split '{split}' and method '{method}'; GET /v1/adapters/{id} lists what its calibration.json holds");
        if (metrics.Bins is not { Count: > 0 })
            throw new ServiceException(ErrorKind.NotFound, "No reliability diagram", $"'{id}' calibration for {split}/{method} has no bins");
        return TypedResults.Text(ReliabilitySvg.Render($"{id} · {split} · {method}", metrics), "image/svg+xml");
    }

    private static IResult Models(AdapterRegistry registry)
    {
        var snapshot = registry.Current;
        return TypedResults.Ok(snapshot.Bases.Values.Select(b => new ModelInfo(b.Bundle, b.Model.Config.ModelType, b.Model.Config.HiddenSize,
            b.Model.Config.NumHiddenLayers, b.Model.Config.VocabSize, b.Model.DType.ToString().ToLowerInvariant(), b.Model.Device.ToString(),
            snapshot.Adapters.Values.Where(a => a.Base.Bundle == b.Bundle).Select(a => a.Id).ToList())).ToList());
    }

    private static IResult List(AdapterRegistry registry) =>
        TypedResults.Ok(registry.Current.Adapters.Values.Select(Summary).ToList());

    private static IResult Get(string id, AdapterRegistry registry) =>
        registry.Find(id) is { } adapter
            ? TypedResults.Ok(Details(adapter))
            : throw new ServiceException(ErrorKind.NotFound, "Adapter not found", $"'{id}' is not loaded; GET /v1/adapters lists the adapters");

    public static AdapterSummary Summary(LoadedAdapter a) =>
        new(a.Id, a.Base.Bundle, a.Task.Kind, a.Methods, a.Posterior.Method, a.Task.Labels);

    public static AdapterDetails Details(LoadedAdapter a)
    {
        var config = a.Adapter.Config;
        var lora = new LoraInfo(config.R, config.LoraAlpha, a.Adapter.Modules.Select(m => m.ModulePath).ToList(),
            a.Adapter.ParameterCount, config.TaskType ?? "CAUSAL_LM");
        var posterior = a.Laplace is null ? null : new PosteriorInfo("laplace", a.Laplace.PriorPrecision, a.Posterior.PriorTuning,
            a.Posterior.LogEvidence, a.Posterior.Samples, a.Laplace.NExamples, a.Laplace.Metadata.Fisher.ToString().ToLowerInvariant(),
            a.Laplace.Metadata.Positions.ToString().ToLowerInvariant());
        return new AdapterDetails(a.Id, a.Base.Bundle, a.Task.Kind, a.Task.Description, a.Task.Labels, a.Task.TokenTexts,
            a.Task.PromptTemplate, a.Task.TemplateFields, a.Methods, a.Posterior.Method, lora, posterior,
            a.Sampled.Values.Select(s => new SampledPosteriorInfo(s.Method, Path.GetFileName(s.FilePath), a.DefaultSamples(s.Method), s.MaxSamples,
                SampledPosteriorDescription.Of(s))).ToList(),
            a.Calibration, a.Sha256, a.LoadedAt);
    }
}
