using System.ComponentModel.DataAnnotations;

namespace UncertaintyService.Api.Options;

/// <summary>The <c>UncertaintyService</c> section of appsettings.json.</summary>
public sealed class ServiceOptions
{
    public const string Section = "UncertaintyService";

    /// <summary>auto (CUDA when available, else CPU), cpu, or cuda.</summary>
    [RegularExpression("^(auto|cpu|cuda)$", ErrorMessage = "Device must be auto, cpu or cuda.")]
    public string Device { get; set; } = "auto";

    /// <summary>
    /// Serving dtype of the model weights: auto (bfloat16 on CUDA, float32 on the CPU), float32,
    /// float16, bfloat16 or float64.
    /// </summary>
    [RegularExpression("^(auto|float32|float16|bfloat16|float64)$", ErrorMessage = "DType must be auto, float32, float16, bfloat16 or float64.")]
    public string DType { get; set; } = "auto";

    /// <summary>Folder that relative bundle paths and admin-loaded adapters resolve against.</summary>
    [Required]
    public string ModelRoot { get; set; } = "models";

    /// <summary>Bundles loaded at start-up.</summary>
    public List<BundleOptions> Bundles { get; set; } = [];

    [Required] public LimitOptions Limits { get; set; } = new();
    [Required] public BatchingOptions Batching { get; set; } = new();
    [Required] public AdminOptions Admin { get; set; } = new();
    [Required] public Outcomes.OutcomeOptions Outcomes { get; set; } = new();

    /// <summary>A request still queued or running after this long gets 503.</summary>
    [Range(0.001, 3600)]
    public double RequestTimeoutSeconds { get; set; } = 30;

    /// <summary>OTLP collector endpoint (gRPC); empty leaves OTLP export off. OTEL_EXPORTER_OTLP_ENDPOINT also switches it on.</summary>
    public string OtlpEndpoint { get; set; } = "";

    /// <summary>Attempts to read a bundle when the file system fails transiently.</summary>
    [Range(1, 10)]
    public int LoadAttempts { get; set; } = 3;
}

public sealed class BundleOptions
{
    /// <summary>Name the bundle is listed under in /v1/models.</summary>
    [Required, RegularExpression("^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    public string Name { get; set; } = "";

    /// <summary>Bundle folder (base/ and adapters/), absolute or relative to ModelRoot.</summary>
    [Required]
    public string Path { get; set; } = "";
}

public sealed class LimitOptions
{
    [Range(1, 1024)] public int MaxPromptsPerRequest { get; set; } = 32;
    [Range(1, 1_000_000)] public int MaxPromptTokens { get; set; } = 1024;
    [Range(1_000, 100_000_000)] public int MaxPromptCharacters { get; set; } = 32_000;
    [Range(2, 4096)] public int MaxLabels { get; set; } = 64;
    /// <summary>Most Monte Carlo draws of Laplace's logit Gaussian per prompt (cheap: no forward pass each).</summary>
    [Range(1, 1_000_000)] public int MaxSamples { get; set; } = 10_000;

    /// <summary>Most weight samples per prompt for BLoB, SWAG, ensembles and MC dropout: each is a forward pass.</summary>
    [Range(1, 4096)] public int MaxWeightSamples { get; set; } = 64;

    /// <summary>
    /// Most token-passes one request may ask for (padded tokens x passes: 1 for MAP, 1 + 2C for Laplace,
    /// S for a sampled method); more is a 422 naming the cost. Keep Batching:MaxQueuedCost + 2 x this
    /// below RequestTimeoutSeconds times the uncertainty.worker.throughput gauge, so an admitted request
    /// finishes in time behind a full queue (README: Admission and time).
    /// </summary>
    [Range(1, long.MaxValue)] public long MaxRequestCost { get; set; } = 30_000;

    /// <summary>
    /// Largest request body in bytes; a larger one is a 413 before it is read. The default holds 32
    /// prompts of 32,000 characters with room for non-ASCII text and JSON escapes.
    /// </summary>
    [Range(1_024, 1_000_000_000)] public long MaxBodyBytes { get; set; } = 4_000_000;

    /// <summary>Most entries one POST /v1/outcomes may carry.</summary>
    [Range(1, 100_000)] public int MaxOutcomesPerRequest { get; set; } = 1_000;

    /// <summary>Most fields one template input object may carry (a prompt template has a few); more is a 400 while reading.</summary>
    [Range(1, 10_000)] public int MaxTemplateFields { get; set; } = 64;
}

public sealed class BatchingOptions
{
    /// <summary>Most texts one batch takes (requests of any adapter of one base are merged up to this).</summary>
    [Range(1, 1024)] public int MaxBatchPrompts { get; set; } = 32;

    /// <summary>
    /// Batch only requests of one adapter version and method, as before heterogeneous batching: for
    /// comparison (the mixed-traffic benchmark) or to keep tenants' requests apart. Off: every request
    /// of one base model may share a batch.
    /// </summary>
    public bool SplitByAdapter { get; set; }

    /// <summary>
    /// Most padded tokens (rows x longest row) in one forward pass: every method runs its batch in
    /// chunks under this, so peak memory above the weights is set by it (README: Serving at scale).
    /// Must hold a reward pair of the longest prompts: at least 2 x Limits:MaxPromptTokens.
    /// </summary>
    [Range(1, 10_000_000)] public int ChunkTokens { get; set; } = 8192;

    /// <summary>How long the worker waits for more requests to fill a batch.</summary>
    [Range(0, 1000)] public double MaxWaitMilliseconds { get; set; } = 5;

    /// <summary>Requests waiting beyond this many get 429.</summary>
    [Range(1, 100_000)] public int QueueCapacity { get; set; } = 256;

    /// <summary>Most total cost (token-passes) waiting for the worker; a request that does not fit gets 429 at once.</summary>
    [Range(1, long.MaxValue)] public long MaxQueuedCost { get; set; } = 60_000;

    /// <summary>
    /// At shutdown, how long the worker may finish the work in hand before it fails what is left with
    /// 503; below the deployment's termination grace period (45 s in deploy/).
    /// </summary>
    [Range(0, 3600)] public double DrainSeconds { get; set; } = 30;

    /// <summary>/health/ready reports degraded when the worker has spent this long on one chunk.</summary>
    [Range(0.1, 3600)] public double StuckSeconds { get; set; } = 20;
}

public sealed class AdminOptions
{
    /// <summary>Key for POST/DELETE /v1/adapters (header X-Api-Key); empty disables the admin routes.</summary>
    public string ApiKey { get; set; } = "";
}
