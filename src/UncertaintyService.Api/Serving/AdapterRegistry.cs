using System.Collections.Immutable;
using UncertaintyService.Core.Bundles;

namespace UncertaintyService.Api.Serving;

/// <summary>A bundle or adapter that failed to load, kept so /health/ready and the logs can say why.</summary>
public sealed record LoadFailure(string What, string Problem, DateTimeOffset At);

/// <summary>
/// What is being served. Readers take the current immutable snapshot without locking; writers build a
/// new snapshot and swap it in, so a reload is atomic and requests in flight keep the adapter they
/// started with.
/// </summary>
public sealed class AdapterRegistry
{
    private readonly Lock writeLock = new();
    private volatile Snapshot current = new(ImmutableSortedDictionary<string, LoadedBase>.Empty,
        ImmutableSortedDictionary<string, LoadedAdapter>.Empty, ImmutableList<LoadFailure>.Empty);

    public sealed record Snapshot(
        ImmutableSortedDictionary<string, LoadedBase> Bases,
        ImmutableSortedDictionary<string, LoadedAdapter> Adapters,
        ImmutableList<LoadFailure> Failures);

    public Snapshot Current => current;

    /// <summary>True once start-up loading finished and a one-token forward pass worked.</summary>
    public bool Ready { get; private set; }

    public LoadedAdapter? Find(string id) => current.Adapters.GetValueOrDefault(id);

    public void AddBase(LoadedBase loaded) => Update(s => s with { Bases = s.Bases.SetItem(loaded.Bundle, loaded) });

    public void Put(LoadedAdapter adapter) => Update(s => s with { Adapters = s.Adapters.SetItem(adapter.Id, adapter) });

    public bool Remove(string id)
    {
        bool removed = false;
        Update(s =>
        {
            removed = s.Adapters.ContainsKey(id);
            return s with { Adapters = s.Adapters.Remove(id) };
        });
        return removed;
    }

    public void RecordFailure(string what, string problem) =>
        Update(s => s with { Failures = s.Failures.Add(new LoadFailure(what, problem, DateTimeOffset.UtcNow)) });

    public void MarkReady() => Ready = true;

    private void Update(Func<Snapshot, Snapshot> change)
    {
        lock (writeLock) current = change(current);
    }
}
