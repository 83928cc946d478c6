namespace UncertaintyService.Api.Serving;

/// <summary>
/// What a request asks of the worker, in token-passes: its padded tokens (texts x longest text) times
/// the forward-pass equivalents each text needs: 1 for MAP; S for a sampled method; 1 + 2C for Laplace,
/// whose C backward passes each cost about two forwards (measured on the demo model at 1,000 tokens:
/// 1.8-1.9 for C = 16 and 64). Memory is bounded by the chunk budget whatever the cost; time grows
/// with it, so admission bounds it (Limits:MaxRequestCost, Batching:MaxQueuedCost).
/// </summary>
public static class RequestCost
{
    /// <param name="passesPerText">The method's forward-pass equivalents per text (<see cref="Core.Prediction.IPredictiveMethod.PassesPerText"/>).</param>
    public static long Of(IReadOnlyCollection<int[]> texts, long passesPerText) =>
        texts.Count == 0 ? 0 : texts.Count * (long)texts.Max(t => t.Length) * passesPerText;
}
