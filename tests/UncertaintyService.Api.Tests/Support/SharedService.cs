namespace UncertaintyService.Api.Tests.Support;

/// <summary>One ready service for tests that only read; tests that change state start their own.</summary>
public sealed class SharedService : IAsyncLifetime
{
    public TestModelRoot Models { get; } = new();
    public ServiceFactory Factory { get; private set; } = null!;
    public HttpClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Factory = new ServiceFactory(Models);
        Client = await Factory.ReadyClient();
    }

    public async Task DisposeAsync()
    {
        await Factory.DisposeAsync();
        Models.Dispose();
    }
}
