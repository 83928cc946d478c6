using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using UncertaintyService.Api.Options;
using UncertaintyService.Api.Serving;

namespace UncertaintyService.Api.Http;

/// <summary>Load, reload and unload adapters at run time, behind the configured API key (header X-Api-Key).</summary>
public static class AdminEndpoints
{
    public const string KeyHeader = "X-Api-Key";

    public static void Map(RouteGroupBuilder v1)
    {
        var admin = v1.MapGroup("/adapters").WithTags("Admin").AddEndpointFilter(RequireKey);
        admin.MapPost("", Load)
            .WithName("LoadAdapter")
            .WithSummary("Load or atomically replace an adapter from a folder under the model root")
            .Accepts<LoadAdapterRequest>("application/json")
            .Produces<AdapterDetails>(StatusCodes.Status201Created)
            .ProducesBodyProblems()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        admin.MapDelete("/{id}", Unload)
            .WithName("UnloadAdapter")
            .WithSummary("Stop serving an adapter; requests already running finish on it")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound);
    }

    private static async ValueTask<object?> RequireKey(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var configured = context.HttpContext.RequestServices.GetRequiredService<IOptions<ServiceOptions>>().Value.Admin.ApiKey;
        if (string.IsNullOrEmpty(configured))
            throw new ServiceException(ErrorKind.Forbidden, "Admin disabled", "No admin API key is configured (UncertaintyService:Admin:ApiKey); the admin routes are off.");
        var given = context.HttpContext.Request.Headers[KeyHeader].ToString();
        if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(configured)))
            throw new ServiceException(ErrorKind.Unauthorized, "Unauthorized", $"Header {KeyHeader} is missing or wrong.");
        return await next(context);
    }

    private static async Task<IResult> Load(HttpContext context, AdapterRegistry registry, ModelHost host, ModelPaths paths,
        IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json)
    {
        var request = await RequestJson.Read<LoadAdapterRequest>(context.Request, json.Value.SerializerOptions);
        if (string.IsNullOrWhiteSpace(request.Bundle)) throw ServiceException.Invalid("bundle", "is required");
        // \A and \z: the whole string (with ^ and $ an id ending in a newline matched and was registered).
        if (string.IsNullOrWhiteSpace(request.Id) || !System.Text.RegularExpressions.Regex.IsMatch(request.Id, @"\A[A-Za-z0-9][A-Za-z0-9._-]{0,63}\z"))
            throw ServiceException.Invalid("id", "is required: 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit");
        var folder = paths.ResolveInside(request.Path ?? "")
            ?? throw ServiceException.Invalid("path", "must be a relative folder inside the model root (no '..', no absolute path)");
        if (!Directory.Exists(folder)) throw ServiceException.Invalid("path", $"'{request.Path}' is not a folder under the model root");
        var loadedBase = registry.Current.Bases.GetValueOrDefault(request.Bundle)
            ?? throw new ServiceException(ErrorKind.NotFound, "Bundle not found", $"bundle: '{request.Bundle}' is not loaded",
                new Dictionary<string, string[]> { ["bundle"] = [$"'{request.Bundle}' is not loaded"] });

        // Everything is read and checked before the swap; a broken folder leaves the old version serving.
        Core.Bundles.LoadedAdapter adapter;
        try
        {
            AdminFolderPolicy.Check(folder, paths.Root);
            adapter = await Task.Run(() => host.LoadAdapter(loadedBase, request.Id, folder), context.RequestAborted);
        }
        catch (Exception e) when (ModelHost.IsBundleProblem(e))
        {
            throw ServiceException.Invalid("path", e.Message);
        }
        registry.Put(adapter);
        return TypedResults.Created($"/v1/adapters/{adapter.Id}", AdapterEndpoints.Details(adapter));
    }

    private static IResult Unload(string id, AdapterRegistry registry) =>
        registry.Remove(id)
            ? TypedResults.NoContent()
            : throw new ServiceException(ErrorKind.NotFound, "Adapter not found", $"'{id}' is not loaded");
}
