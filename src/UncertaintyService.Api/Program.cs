var builder = WebApplication.CreateBuilder(args);
var app = builder.Build();
app.MapGet("/health/live", () => TypedResults.Ok("live"));
app.Run();

/// <summary>Entry point, visible to in-process API tests.</summary>
public partial class Program;
