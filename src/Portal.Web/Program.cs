using Portal.Core;
using Portal.Inference;
using Portal.Web;

var builder = WebApplication.CreateBuilder(args);
builder.Services.AddPortalCore(builder.Configuration, builder.Environment.ContentRootPath);
builder.Services.AddPortalInference(builder.Configuration);
builder.AddPortalWeb();

var app = builder.Build();
await app.Services.InitializePortalDatabaseAsync();
app.UsePortal();
await app.RunAsync();
