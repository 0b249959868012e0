using Portal.Core;
using Portal.Inference;
using Portal.Web;

if (args is [DatabaseCopyCommand.Name, .. var copyArguments])
{
    return await DatabaseCopyCommand.RunAsync(copyArguments, Console.Out, Console.Error);
}

var builder = WebApplication.CreateBuilder(args);
builder.Services.AddPortalCore(builder.Configuration, builder.Environment.ContentRootPath);
builder.Services.AddPortalInference(builder.Configuration);
builder.AddPortalWeb();

var app = builder.Build();
await app.Services.InitializePortalDatabaseAsync();
app.UsePortal();
await app.RunAsync();
return 0;
