using System.Collections.Immutable;
using UncertaintyService.Core.Bundles;

namespace UncertaintyService.Api.Serving;

/// <summary>A bundle or adapter that failed to load, kept so /health/ready and the logs can say why.</summary>
public sealed record LoadFailure(string What, string Problem, DateTimeOffset At);

/// <summary>
/// What is being served. Readers take the current immutable snapshot without locking; writers build a
/// new snapshot and swap it in, so a reload is atomic and requests in flight keep the adapter they
/// started with. Requests hold a lease on the version they use; a version that is unloaded or replaced
/// is disposed (its tensors freed) when its last lease ends, or at once if none is held.
/// </summary>
public sealed class AdapterRegistry : IDisposable
{
    private readonly Lock writeLock = new();
    private volatile Snapshot current = new(ImmutableSortedDictionary<string, LoadedBase>.Empty,
        ImmutableSortedDictionary<string, LoadedAdapter>.Empty, ImmutableList<LoadFailure>.Empty);

    // Guarded by writeLock: leases held per adapter version, and versions no longer served but still leased.
    private readonly Dictionary<LoadedAdapter, int> leases = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<LoadedAdapter> retired = new(ReferenceEqualityComparer.Instance);
    private bool disposed;

    public sealed record Snapshot(
        ImmutableSortedDictionary<string, LoadedBase> Bases,
        ImmutableSortedDictionary<string, LoadedAdapter> Adapters,
        ImmutableList<LoadFailure> Failures);

    public Snapshot Current => current;

    /// <summary>True once start-up loading finished and a one-token forward pass worked.</summary>
    public bool Ready { get; private set; }

    /// <summary>Versions unloaded or replaced whose memory is still held by requests in flight.</summary>
    public int RetiredCount
    {
        get { lock (writeLock) return retired.Count; }
    }

    /// <summary>The current version, for reading what it describes; a request that runs it takes a <see cref="Lease"/>.</summary>
    public LoadedAdapter? Find(string id) => current.Adapters.GetValueOrDefault(id);

    /// <summary>The current version of <paramref name="id"/>, kept alive until the lease is disposed; null if not loaded.</summary>
    public AdapterLease? Lease(string id)
    {
        lock (writeLock)
        {
            var adapter = current.Adapters.GetValueOrDefault(id);
            if (adapter is null) return null;
            leases[adapter] = leases.GetValueOrDefault(adapter) + 1;
            return new AdapterLease(this, adapter);
        }
    }

    public void AddBase(LoadedBase loaded) => Update(s => s with { Bases = s.Bases.SetItem(loaded.Bundle, loaded) });

    /// <summary>Serves <paramref name="adapter"/> under its id; the version it replaces is retired.</summary>
    public void Put(LoadedAdapter adapter)
    {
        LoadedAdapter? free;
        lock (writeLock)
        {
            var replaced = current.Adapters.GetValueOrDefault(adapter.Id);
            current = current with { Adapters = current.Adapters.SetItem(adapter.Id, adapter) };
            free = Retire(replaced);
        }
        free?.Dispose();
    }

    /// <summary>Stops serving <paramref name="id"/>; false if it was not loaded.</summary>
    public bool Remove(string id)
    {
        LoadedAdapter? free;
        lock (writeLock)
        {
            var removed = current.Adapters.GetValueOrDefault(id);
            if (removed is null) return false;
            current = current with { Adapters = current.Adapters.Remove(id) };
            free = Retire(removed);
        }
        free?.Dispose();
        return true;
    }

    public void RecordFailure(string what, string problem) =>
        Update(s => s with { Failures = s.Failures.Add(new LoadFailure(what, problem, DateTimeOffset.UtcNow)) });

    public void MarkReady() => Ready = true;

    internal void Release(LoadedAdapter adapter)
    {
        bool free;
        lock (writeLock)
        {
            int left = leases[adapter] - 1;
            if (left > 0)
            {
                leases[adapter] = left;
                return;
            }
            leases.Remove(adapter);
            free = retired.Remove(adapter);
        }
        if (free) adapter.Dispose();
    }

    // Under writeLock. Returns the version to dispose now (outside the lock), or null if leases keep it.
    private LoadedAdapter? Retire(LoadedAdapter? version)
    {
        if (version is null) return null;
        if (!leases.ContainsKey(version)) return version;
        retired.Add(version);
        return null;
    }

    private void Update(Func<Snapshot, Snapshot> change)
    {
        lock (writeLock) current = change(current);
    }

    /// <summary>
    /// At shutdown, after the worker stopped: frees every adapter and base model. A version still leased
    /// (a worker that did not stop in time) is left to its lease, and the bases with it.
    /// </summary>
    public void Dispose()
    {
        var free = new List<LoadedAdapter>();
        ImmutableSortedDictionary<string, LoadedBase> bases;
        bool leased;
        lock (writeLock)
        {
            if (disposed) return;
            disposed = true;
            foreach (var adapter in current.Adapters.Values)
                if (Retire(adapter) is { } now) free.Add(adapter);
            bases = current.Bases;
            leased = leases.Count > 0;
            current = current with { Adapters = current.Adapters.Clear() };
        }
        foreach (var adapter in free) adapter.Dispose();
        if (!leased)
            foreach (var loaded in bases.Values) loaded.Dispose();
    }
}

/// <summary>One request's hold on an adapter version: the version is not freed before the lease is disposed.</summary>
public sealed class AdapterLease(AdapterRegistry registry, LoadedAdapter adapter) : IDisposable
{
    private int released;

    public LoadedAdapter Adapter { get; } = adapter;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref released, 1) == 0) registry.Release(Adapter);
    }
}
