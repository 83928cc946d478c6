using System.Text.Json;
using TorchSharp.Modules;
using UncertaintyService.Core.Model;
using UncertaintyService.Core.SafeTensors;
using static TorchSharp.torch;

namespace UncertaintyService.Core.Training;

/// <summary>
/// A pre-training run's checkpoint folder: <c>weights.safetensors</c> (float32, Hugging Face names),
/// <c>optimizer.bin</c> (AdamW's moments and step counts, TorchSharp's format) and <c>state.json</c>
/// (the step reached, the losses so far, and a fingerprint of the config and options, so a run is
/// resumed only with the settings that started it). Each save writes a new folder and renames it into
/// place, so an interrupted save leaves the previous checkpoint whole.
/// </summary>
public sealed class PretrainingCheckpoint(string folder, LlamaConfig config, PretrainingOptions options, IReadOnlyList<int> stream)
{
    private const string Weights = "weights.safetensors", Optimizer = "optimizer.bin", State = "state.json";

    public sealed record Resumed(Dictionary<string, Tensor> Weights, int Step, IReadOnlyList<double> Losses);

    private sealed record StateFile(int Step, List<double> Losses, string Fingerprint);

    // The settings and the text that must match for a resumed run to be the same run (Steps may grow: a run can be
    // extended). The token stream counts: a corpus regenerated differently would otherwise change the run silently.
    private string Fingerprint => _fingerprint ??= JsonSerializer.Serialize(new
    {
        config.VocabSize, config.HiddenSize, config.IntermediateSize, config.NumHiddenLayers, config.NumAttentionHeads, config.NumKeyValueHeads,
        options.LearningRate, options.BatchSize, options.SequenceLength, options.WarmupSteps, options.WeightDecay, options.Seed,
        TokenStreamSha256 = StreamSha256(stream),
    });

    private string? _fingerprint;

    private static string StreamSha256(IReadOnlyList<int> tokens)
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        var buffer = new byte[4 * 4096];
        for (int start = 0; start < tokens.Count; start += 4096)
        {
            int n = Math.Min(4096, tokens.Count - start);
            for (int i = 0; i < n; i++) System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(4 * i), tokens[start + i]);
            hash.AppendData(buffer, 0, 4 * n);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    public Resumed? TryLoad()
    {
        // A save interrupted between its two renames leaves the previous checkpoint as folder.old.
        if (!File.Exists(Path.Combine(folder, State)) && File.Exists(Path.Combine(folder + ".old", State)))
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
            Directory.Move(folder + ".old", folder);
        }
        string statePath = Path.Combine(folder, State);
        if (!File.Exists(statePath)) return null;
        var state = JsonSerializer.Deserialize<StateFile>(File.ReadAllText(statePath))
            ?? throw new InvalidDataException($"{statePath}: not a pre-training state");
        if (state.Fingerprint != Fingerprint)
            throw new ArgumentException($"{folder}: the checkpoint was made with other settings ({state.Fingerprint}); use a new --checkpoint folder or the same settings");
        using var file = SafeTensorsFile.Open(Path.Combine(folder, Weights));
        var weights = file.Entries.ToDictionary(e => e.Name, e => file.Load(e.Name, ScalarType.Float32).DetachFromDisposeScope());
        return new Resumed(weights, state.Step, state.Losses);
    }

    public void LoadOptimizer(OptimizerHelper optimizer) => optimizer.load_state_dict(Path.Combine(folder, Optimizer));

    public void Save(Dictionary<string, Tensor> weights, OptimizerHelper optimizer, int step, IReadOnlyList<double> losses)
    {
        string parent = Path.GetDirectoryName(Path.GetFullPath(folder))!;
        Directory.CreateDirectory(parent);
        string next = Path.Combine(parent, $".{Path.GetFileName(folder)}.{Environment.ProcessId}.new");
        if (Directory.Exists(next)) Directory.Delete(next, recursive: true);
        Directory.CreateDirectory(next);
        SafeTensorsWriter.Write(Path.Combine(next, Weights), weights);
        optimizer.save_state_dict(Path.Combine(next, Optimizer));
        File.WriteAllText(Path.Combine(next, State), JsonSerializer.Serialize(new StateFile(step, [.. losses], Fingerprint)));
        string old = folder + ".old";
        if (Directory.Exists(old)) Directory.Delete(old, recursive: true);
        if (Directory.Exists(folder)) Directory.Move(folder, old);
        Directory.Move(next, folder);
        if (Directory.Exists(old)) Directory.Delete(old, recursive: true);
    }
}
