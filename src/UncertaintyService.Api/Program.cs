using System.Globalization;
using UncertaintyService.Api.Hosting;

// Numbers and dates read and written the same way whatever the machine's locale.
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.DefaultThreadCurrentUICulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = CultureInfo.InvariantCulture;

var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = ServiceSetup.ContentRoot() });
builder.AddUncertaintyService();

var app = builder.Build();
app.MapUncertaintyService();
app.Run();

/// <summary>Entry point, visible to in-process API tests.</summary>
public partial class Program;
