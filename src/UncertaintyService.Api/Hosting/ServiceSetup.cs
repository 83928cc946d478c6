using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using UncertaintyService.Api.Http;
using Microsoft.Extensions.DependencyInjection.Extensions;
using UncertaintyService.Api.Options;
using UncertaintyService.Api.Outcomes;
using UncertaintyService.Api.Serving;

namespace UncertaintyService.Api.Hosting;

/// <summary>Everything Program.cs wires: options, the model host and worker, telemetry, health, OpenAPI, routes.</summary>
public static class ServiceSetup
{
    public static WebApplicationBuilder AddUncertaintyService(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton<IValidateOptions<ServiceOptions>, ServiceOptionsValidation>();
        services.AddOptions<ServiceOptions>().Bind(builder.Configuration.GetSection(ServiceOptions.Section), o => o.ErrorOnUnknownConfiguration = true)
            .Validate(o => o.Bundles.Select(b => b.Name).Distinct().Count() == o.Bundles.Count,
                "Bundle names must be distinct.")
            .Validate(o => o.Batching.MaxQueuedCost >= o.Limits.MaxRequestCost,
                "Batching:MaxQueuedCost must be at least Limits:MaxRequestCost (else the largest admissible request could never be queued).")
            .Validate(o => o.Batching.ChunkTokens >= 2L * o.Limits.MaxPromptTokens,
                "Batching:ChunkTokens must be at least 2 x Limits:MaxPromptTokens (a reward pair of the longest prompts runs in one chunk).")
            .ValidateOnStart();
        services.AddSingleton(sp => new ModelPaths(ResolveModelRoot(builder.Environment, sp.GetRequiredService<IOptions<ServiceOptions>>().Value)));
        // Shutdown lets the worker drain for Batching:DrainSeconds, then fail what is left; the host must wait that long.
        services.AddOptions<HostOptions>().Configure<IOptions<ServiceOptions>>((host, service) =>
            host.ShutdownTimeout = TimeSpan.FromSeconds(service.Value.Batching.DrainSeconds + 10));
        services.AddSingleton<AdapterRegistry>();
        services.AddSingleton<ServiceTelemetry>();
        services.TryAddSingleton(TimeProvider.System);
        // Registered before the inference worker: hosted services stop in reverse order, so the writer drains
        // after the worker has answered (and recorded) what it had in hand.
        AddOutcomeStore(services, builder.Configuration.GetValue<bool?>($"{ServiceOptions.Section}:Outcomes:Enabled") ?? true);
        services.AddSingleton<InferenceWorker>();
        services.AddHostedService(sp => sp.GetRequiredService<InferenceWorker>());
        services.AddSingleton<ModelHost>();
        services.AddHostedService(sp => sp.GetRequiredService<ModelHost>());

        services.AddOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>().Configure<IOptions<ServiceOptions>>((o, service) =>
            Configure(o.SerializerOptions, service.Value.Limits.MaxTemplateFields));
        services.AddOptions<Microsoft.AspNetCore.Mvc.JsonOptions>().Configure<IOptions<ServiceOptions>>((o, service) =>
            Configure(o.JsonSerializerOptions, service.Value.Limits.MaxTemplateFields));
        // Bodies above Limits:MaxBodyBytes are refused by Kestrel while they are read (413), not buffered first.
        services.AddOptions<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>().Configure<IOptions<ServiceOptions>>((kestrel, service) =>
            kestrel.Limits.MaxRequestBodySize = service.Value.Limits.MaxBodyBytes);
        services.AddProblemDetails();
        services.AddExceptionHandler<ServiceExceptionHandler>();
        services.AddHealthChecks().AddCheck<ReadinessCheck>("models", tags: ["ready"]);
        // The health check service logs every Degraded probe as a warning (each 5 s while loading or refusing);
        // the readiness body and the metrics say it already. Unhealthy (nothing could be loaded) is still an error log.
        builder.Logging.AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks", LogLevel.Error);
        services.AddEndpointsApiExplorer();
        services.AddSwaggerGen(OpenApiSetup.Configure);

        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("uncertainty-service"))
            .WithTracing(t => t.AddSource(ServiceTelemetry.Name).AddAspNetCoreInstrumentation())
            .WithMetrics(m => m.AddMeter(ServiceTelemetry.Name).AddAspNetCoreInstrumentation().AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0));
        // OTLP export is on when an endpoint is configured (OTEL_EXPORTER_OTLP_ENDPOINT or UncertaintyService:OtlpEndpoint).
        var otlp = builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"] ?? builder.Configuration[$"{ServiceOptions.Section}:OtlpEndpoint"];
        if (!string.IsNullOrWhiteSpace(otlp))
            telemetry.UseOtlpExporter(OpenTelemetry.Exporter.OtlpExportProtocol.Grpc, new Uri(otlp));
        return builder;
    }

    // The SQLite file under Outcomes:DataFolder, or PostgreSQL when a connection string is set; the schema is
    // migrated when the store is first built, which the writer's start-up does, so a bad store stops start-up.
    private static void AddOutcomeStore(IServiceCollection services, bool enabled)
    {
        // With the store off there is no writer, and the recorder gives no ids.
        services.AddSingleton(sp => new PredictionRecorder(sp.GetService<PredictionWriter>(), sp.GetRequiredService<IOptions<ServiceOptions>>(),
            sp.GetRequiredService<TimeProvider>()));
        if (!enabled) return;
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<ServiceOptions>>().Value.Outcomes;
            var store = new OutcomeStore(string.IsNullOrWhiteSpace(options.PostgresConnectionString)
                ? StoreDialect.Sqlite(SqliteFile(sp.GetRequiredService<IWebHostEnvironment>(), options))
                : StoreDialect.Postgres(options.PostgresConnectionString));
            var applied = store.Migrate();
            sp.GetRequiredService<ILogger<OutcomeStore>>().LogInformation("Outcome store: {Dialect}, schema version {Version} ({Applied} applied now)",
                store.Dialect.Name, StoreMigrations.Latest, applied.Count);
            return store;
        });
        services.AddSingleton<PredictionWriter>();
        services.AddHostedService(sp => sp.GetRequiredService<PredictionWriter>());
        services.AddSingleton<LiveCalibrationMonitor>();
        services.AddHostedService(sp => sp.GetRequiredService<LiveCalibrationMonitor>());
    }

    private static string SqliteFile(IWebHostEnvironment environment, OutcomeOptions options)
    {
        var folder = Path.IsPathRooted(options.DataFolder) ? options.DataFolder : Path.Combine(environment.ContentRootPath, options.DataFolder);
        Directory.CreateDirectory(folder);
        return Path.Combine(folder, "outcomes.db");
    }

    public static WebApplication MapUncertaintyService(this WebApplication app)
    {
        app.UseMiddleware<RequestOutcomes>();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        // The page at / (wwwroot beside the binary: plain HTML, CSS and a script, no front-end build).
        var page = new Microsoft.Extensions.FileProviders.PhysicalFileProvider(Path.Combine(AppContext.BaseDirectory, "wwwroot"));
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = page });
        app.UseStaticFiles(new StaticFileOptions { FileProvider = page });
        app.UseSwagger();
        app.UseSwaggerUI(o => o.DocumentTitle = "UncertaintyService");
        app.MapPrometheusScrapingEndpoint("/metrics");
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        // Degraded (queue refusing, worker stuck) answers 503 too: a load balancer should send traffic elsewhere meanwhile.
        app.MapHealthChecks("/health/ready", new HealthCheckOptions
        {
            Predicate = c => c.Tags.Contains("ready"),
            ResponseWriter = HealthJson.Write,
            ResultStatusCodes =
            {
                [Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy] = StatusCodes.Status200OK,
                [Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Degraded] = StatusCodes.Status503ServiceUnavailable,
                [Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
            },
        });

        var v1 = app.MapGroup("/v1");
        ClassifyEndpoints.Map(v1);
        RewardEndpoints.Map(v1);
        TokenizeEndpoints.Map(v1);
        AdapterEndpoints.Map(v1);
        AdminEndpoints.Map(v1);
        OutcomeEndpoints.Map(v1);
        CompatibleEndpoints.Map(app);
        return app;
    }

    /// <summary>
    /// The working directory when it holds appsettings.json (the repository root, a container's app
    /// folder), else the app's own folder, where the build copies appsettings.json and models/demo
    /// (`dotnet run --project` starts in the project folder). Null keeps the framework's default.
    /// </summary>
    public static string? ContentRoot() =>
        File.Exists(Path.Combine(Directory.GetCurrentDirectory(), "appsettings.json")) ? null : AppContext.BaseDirectory;

    /// <summary>
    /// The API's JSON policy: snake_case names matched in their exact case (a gateway that reads
    /// "adapter" must agree with the service, so "Adapter" is an unknown field), no key given twice, no
    /// unknown fields, nesting at most 16 deep, template inputs of at most <paramref name="maxTemplateFields"/> fields.
    /// </summary>
    public static void Configure(JsonSerializerOptions json, int maxTemplateFields)
    {
        json.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        json.PropertyNameCaseInsensitive = false;
        json.AllowDuplicateProperties = false;
        json.MaxDepth = 16;
        json.DictionaryKeyPolicy = null;
        json.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        json.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        json.Converters.Add(new BoundedFieldsConverter(maxTemplateFields));
    }

    // The configured root, relative to the content root when it exists there, else to the app's folder
    // (where the build copies models/), so `dotnet run` works from the repository or the output folder.
    private static string ResolveModelRoot(IWebHostEnvironment environment, ServiceOptions options)
    {
        if (Path.IsPathRooted(options.ModelRoot)) return options.ModelRoot;
        var fromContent = Path.Combine(environment.ContentRootPath, options.ModelRoot);
        return Directory.Exists(fromContent) ? fromContent : Path.Combine(AppContext.BaseDirectory, options.ModelRoot);
    }
}
