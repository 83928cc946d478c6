using UncertaintyService.Api.Hosting;

var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = ServiceSetup.ContentRoot() });
builder.AddUncertaintyService();

var app = builder.Build();
app.MapUncertaintyService();
app.Run();

/// <summary>Entry point, visible to in-process API tests.</summary>
public partial class Program;
