using System.Text.Json;
using Microsoft.Extensions.Options;
using UncertaintyService.Api.Options;
using UncertaintyService.Core.Bundles;

namespace UncertaintyService.Api.Outcomes;

/// <summary>
/// Gives each answered prediction an id and hands it to the <see cref="PredictionWriter"/>. The id is returned
/// only when the prediction was queued: with the store off or the writer full there is nothing an outcome could
/// later be matched with.
/// </summary>
public sealed class PredictionRecorder(PredictionWriter? writer, IOptions<ServiceOptions> options, TimeProvider time)
{
    public static readonly IReadOnlyList<string> PairLabels = ["chosen", "rejected"];

    private readonly OutcomeOptions options = options.Value.Outcomes;

    /// <summary>A classification: the probabilities the response gave over its labels and the index it answered with.</summary>
    public string? Classification(LoadedAdapter adapter, string method, IReadOnlyList<string> labels, double[] probabilities, int predicted, string prompt) =>
        Record(adapter, method, PredictionKind.Classification, labels, probabilities, predicted, prompt);

    /// <summary>A preference pair: P(chosen preferred) as the response gave it.</summary>
    public string? Preference(LoadedAdapter adapter, string method, double pChosen, string prompt, string chosen, string rejected) =>
        Record(adapter, method, PredictionKind.Preference, PairLabels, [pChosen, 1 - pChosen], pChosen >= 0.5 ? 0 : 1,
            options.StorePrompts ? JsonSerializer.Serialize(new { prompt, chosen, rejected }) : null);

    private string? Record(LoadedAdapter adapter, string method, PredictionKind kind, IReadOnlyList<string> labels, double[] probabilities, int predicted,
        string? prompt)
    {
        if (writer is null) return null;
        var now = time.GetUtcNow();
        string id = PredictionIds.New(now);
        var prediction = new StoredPrediction(id, now.ToUnixTimeMilliseconds(), adapter.Id, adapter.Sha256, method, kind, labels, probabilities, predicted,
            options.StorePrompts ? prompt : null);
        return writer.TryRecord(prediction) ? id : null;
    }
}
