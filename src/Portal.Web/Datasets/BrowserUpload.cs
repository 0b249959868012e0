using Microsoft.AspNetCore.Antiforgery;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;
using Portal.Core.Accounts;
using Portal.Core.Datasets;
using Portal.Core.Quotas;
using Portal.Web.Endpoints;
using Portal.Web.Localization;

namespace Portal.Web.Datasets;

/// <summary>What the browser's upload answers: the stored dataset, or why it was not stored (in the caller's language).</summary>
public sealed record BrowserUploadResult(Guid? Id, string? Name, int Rows, string? Error);

/// <summary>
/// The datasets page's upload: the file goes to the server over plain HTTP (the page's script posts it with the
/// signed-in cookie and an antiforgery token) and streams to disk as it arrives, as the API's upload does. Through the
/// Blazor circuit a file travelled in 31.5 KB pieces, each waiting for the server's answer: 134 MB took 13–14 s on
/// this machine's loopback, and every piece costs a network round trip on a real one.
/// </summary>
internal static class BrowserUpload
{
    public const string Path = "/datasets/upload";

    public static void MapBrowserUpload(this IEndpointRouteBuilder app) =>
        app.MapPost(Path, UploadAsync)
            .RequireAuthorization(PortalPolicies.BusinessUser)
            .DisableAntiforgery() // checked in the handler, from the header only: the form is the file and is never buffered
            .ExcludeFromDescription();

    private static async Task<IResult> UploadAsync(
        HttpContext context, IAntiforgery antiforgery, IOptions<AntiforgeryOptions> antiforgeryOptions, DatasetService datasets,
        IOptions<UploadOptions> uploads, IStringLocalizer<SharedResource> L, CancellationToken ct)
    {
        if (!context.Request.Headers.ContainsKey(antiforgeryOptions.Value.HeaderName!) || !await antiforgery.IsRequestValidAsync(context))
        {
            return Refused(StatusCodes.Status400BadRequest, L["The page has expired. Reload it and try again."]);
        }

        try
        {
            var upload = await MultipartUpload.ReadAsync(context.Request, uploads.Value, (stream, name) => datasets.UploadAsync(stream, name, ct), ct);
            return upload.Dataset is { } dataset
                ? TypedResults.Json(new BrowserUploadResult(dataset.Id, dataset.Name, dataset.RowCount, null), statusCode: StatusCodes.Status201Created)
                : Refused(StatusCodes.Status400BadRequest, upload.Problem?.ProblemDetails.Detail ?? string.Empty);
        }
        catch (TabularFileException e)
        {
            return Refused(StatusCodes.Status400BadRequest, e.Text.In(L));
        }
        catch (UploadTooLargeException)
        {
            return Refused(StatusCodes.Status413PayloadTooLarge,
                L["The file is larger than the upload limit of {0}.", QuotaLabels.Format(QuotaMetric.StorageBytes, uploads.Value.MaxBytes)]);
        }
        catch (QuotaExceededException e)
        {
            return Refused(StatusCodes.Status429TooManyRequests, QuotaLabels.Denial(L, e.Denial));
        }
    }

    private static IResult Refused(int status, string error) => TypedResults.Json(new BrowserUploadResult(null, null, 0, error), statusCode: status);
}
