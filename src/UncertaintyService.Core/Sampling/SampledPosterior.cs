using UncertaintyService.Core.Execution;
using UncertaintyService.Core.Lora;
using UncertaintyService.Core.Prediction;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Sampling;

/// <summary>
/// A posterior served by sampling weights and running the model once per sample (BLoB, SWAG,
/// ensembles and SVGD particles, MC dropout), as opposed to Laplace's linearised logit Gaussian.
/// </summary>
public abstract class SampledPosterior(string method, string filePath, LoraAdapter adapter) : ITensorOwner, IForwardSampler
{
    public string Method { get; } = method;

    string IPredictiveMethod.Name => Method;

    double? IPredictiveMethod.PriorPrecision => null;

    SampleMeaning IPredictiveMethod.Samples => SampleMeaning.WeightSamples;

    /// <summary>One forward row per sample; samples = 0 is one row of the mean weights.</summary>
    public long PassesPerText(int outputs, int samples) => ForwardPasses(samples);

    public int Rows(int samples) => ForwardPasses(samples);

    /// <summary>samples = 0 is the mean weights alone, once, without dropout: a point estimate.</summary>
    public bool IsSampled(int samples) => samples > 0;

    public double RowDropout(int samples) => samples > 0 ? DropoutProbability : 0;

    /// <summary>Only particles whose members saved their own modules (reward ensembles) draw these.</summary>
    public virtual IReadOnlyDictionary<string, Tensor>? SavedRows(int samples, ScalarType dtype, Device device) => null;

    public string? SamplesError(int samples) =>
        samples < 0 ? "must be 0 (the mean weights alone) or more"
        : samples == 0 && !HasMeanWeights ? $"'{Method}' has no mean weights; ask for 1..{MaxSamples?.ToString() ?? ""} samples"
        : MaxSamples is { } max && samples > max ? $"'{Method}' gives at most {max} samples (its {max} members)"
        : null;

    /// <summary>The file the posterior was read from (or is written to).</summary>
    public string FilePath { get; } = filePath;

    /// <summary>The adapter whose structure the samples share; for BLoB, SWAG and MC dropout also the mean weights.</summary>
    public LoraAdapter Adapter { get; } = adapter;

    /// <summary>Ensembles have K members and no more samples than that; the others draw as many as asked.</summary>
    public virtual int? MaxSamples => null;

    /// <summary>Whether <c>samples = 0</c> (the mean weights alone) means anything: not for an ensemble.</summary>
    public virtual bool HasMeanWeights => true;

    /// <summary>MC dropout's p; 0 for the others.</summary>
    public virtual double DropoutProbability => 0;

    /// <summary>Forward passes for <paramref name="samples"/> samples (1 for the mean weights alone).</summary>
    public static int ForwardPasses(int samples) => Math.Max(samples, 1);

    /// <summary>
    /// <paramref name="samples"/> draws of every LoRA module's weights, made on <paramref name="device"/>
    /// from <paramref name="generator"/> (a generator of that device), in <paramref name="dtype"/>. The
    /// same seed gives the same draws on the same kind of device. Null: every row uses <see cref="Adapter"/>'s weights.
    /// </summary>
    public abstract IReadOnlyDictionary<string, RowLoraWeights>? Draw(int samples, Generator generator, ScalarType dtype, Device device);

    protected static Tensor Rows(Tensor weight, int samples) => weight.unsqueeze(0).expand(samples, -1, -1);

    /// <summary>Noise and the sums it enters are made in float32 (float64 for a float64 model), then cast to the model's dtype.</summary>
    protected static ScalarType DrawType(ScalarType modelType) => modelType == ScalarType.Float64 ? ScalarType.Float64 : ScalarType.Float32;

    private readonly Dictionary<(Tensor, ScalarType, string), Tensor> onDevice = new();

    /// <summary>The tensors the posterior read from its file (not the structure adapter it was given).</summary>
    protected abstract IEnumerable<Tensor> StoredTensors();

    /// <summary>What it read from its file and the device copies it made for draws.</summary>
    public IEnumerable<Tensor> OwnedTensors()
    {
        List<Tensor> copies;
        lock (onDevice) copies = onDevice.Values.ToList();
        return StoredTensors().Concat(copies);
    }

    public void Dispose() => TensorOwner.DisposeAll(this);

    /// <summary>A and B of every module of <paramref name="adapter"/> (not the modules it saves whole, which the structure adapter owns).</summary>
    protected static IEnumerable<Tensor> ModuleTensors(LoraAdapter adapter) => adapter.Modules.SelectMany(m => new[] { m.A, m.B });

    /// <summary>
    /// <paramref name="stored"/> in <paramref name="type"/> on <paramref name="device"/>, copied there
    /// once and kept for every later draw (requests never copy the posterior from the host).
    /// </summary>
    protected Tensor OnDevice(Tensor stored, ScalarType type, Device device)
    {
        var key = (stored, type, device.ToString());
        lock (onDevice)
        {
            if (!onDevice.TryGetValue(key, out var copy))
                onDevice[key] = copy = stored.to(type, device).DetachFromDisposeScope();
            return copy;
        }
    }
}
