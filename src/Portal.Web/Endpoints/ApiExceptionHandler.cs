using System.Globalization;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Portal.Core.Datasets;
using Portal.Core.Quotas;
using Portal.Core.Runs;
using Portal.Core.Templates;
using Portal.Core.Tenancy;

namespace Portal.Web.Endpoints;

/// <summary>
/// Turns exceptions on API requests into RFC 7807 problem details: quota → 429 with Retry-After, refused access → 403,
/// anything unexpected → 500 without internals. Page requests fall through to the error page.
/// </summary>
internal sealed partial class ApiExceptionHandler(IProblemDetailsService problems, TimeProvider clock, ILogger<ApiExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        // The middleware may already have pointed the request at the error page; the original path decides.
        var path = httpContext.Features.Get<IExceptionHandlerFeature>()?.Path ?? httpContext.Request.Path;
        if (!ApiPaths.IsApi(path))
        {
            return false;
        }

        var problem = exception switch
        {
            QuotaExceededException q => QuotaProblem(httpContext, q.Denial, clock.GetUtcNow()),
            UnauthorizedAccessException or TenantAccessException => Problem(StatusCodes.Status403Forbidden, "Forbidden", exception.Message),
            TabularFileException => Problem(StatusCodes.Status400BadRequest, "The file cannot be read as a table", exception.Message),
            UploadTooLargeException => Problem(StatusCodes.Status413PayloadTooLarge, "File too large", exception.Message),
            RunRefusedException refused => RefusedProblem(refused),
            RunBusyException busy => Problem(StatusCodes.Status409Conflict, "The run is still working", busy.Message),
            DatasetInUseException => Problem(StatusCodes.Status409Conflict, "Dataset in use", exception.Message),
            Portal.Core.Assistant.LlmUnavailableException => Problem(StatusCodes.Status502BadGateway, "The language model failed", exception.Message),
            Portal.Core.Assistant.AssistantRequestException => Problem(StatusCodes.Status400BadRequest, "The question cannot be answered", exception.Message),
            Portal.Core.Assistant.KnowledgeDocumentException => Problem(StatusCodes.Status400BadRequest, "The document cannot be used", exception.Message),
            TemplateAccessDeniedException => Problem(StatusCodes.Status403Forbidden, "Template not available", exception.Message),
            QuotaLimitValidationException or TemplateAccessValidationException or MemberValidationException
                => Problem(StatusCodes.Status400BadRequest, "The change was refused", exception.Message),
            KeyNotFoundException => Problem(StatusCodes.Status404NotFound, "Not found", exception.Message),
            BadHttpRequestException bad => Problem(bad.StatusCode, "Bad request", bad.Message),
            _ => null,
        };
        if (problem is null)
        {
            LogUnhandled(logger, httpContext.Request.Path, exception);
            problem = Problem(StatusCodes.Status500InternalServerError, "Something went wrong on our side", "The error has been logged. Please try again later.");
        }

        httpContext.Response.StatusCode = problem.Status!.Value;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = problem, Exception = exception });
    }

    private static ProblemDetails Problem(int status, string title, string detail) => new() { Status = status, Title = title, Detail = detail };

    private static ProblemDetails RefusedProblem(RunRefusedException refused)
    {
        var problem = Problem(StatusCodes.Status400BadRequest, "The run cannot start", refused.Message);
        if (refused.Report is { } report)
        {
            problem.Extensions["missingColumns"] = report.MissingColumns;
            problem.Extensions["totalRows"] = report.TotalRows;
            problem.Extensions["validRows"] = report.ValidRows;
            problem.Extensions["errors"] = report.Errors;
        }

        return problem;
    }

    /// <summary>The 429 answer for an exhausted quota; also used by the request-metering middleware.</summary>
    public static ProblemDetails QuotaProblem(HttpContext httpContext, QuotaDenial denial, DateTimeOffset now)
    {
        var problem = new ProblemDetails
        {
            Status = StatusCodes.Status429TooManyRequests,
            Title = "Quota exceeded",
            Detail = denial.ResetsAt is { } at
                ? $"The {denial.Scope} {(denial.Period == "day" ? "daily" : "monthly")} limit of {denial.Limit} for {denial.Metric} is reached ({denial.Remaining} remaining, {denial.Requested} requested). It resets at {at:O}."
                : $"The {denial.Scope} limit of {denial.Limit} for {denial.Metric} is reached ({denial.Remaining} remaining, {denial.Requested} requested). Free some first.",
        };
        problem.Extensions["metric"] = denial.Metric.ToString();
        problem.Extensions["scope"] = denial.Scope;
        problem.Extensions["period"] = denial.Period;
        problem.Extensions["limit"] = denial.Limit;
        problem.Extensions["remaining"] = denial.Remaining;
        problem.Extensions["requested"] = denial.Requested;
        problem.Extensions["resetsAt"] = denial.ResetsAt;
        if (denial.ResetsAt is { } resets)
        {
            var seconds = Math.Max(1, (long)Math.Ceiling((resets - now).TotalSeconds));
            httpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        }

        return problem;
    }

    /// <summary>The 429 answer when a user or API key exceeds its requests per minute.</summary>
    public static ProblemDetails RateProblem(HttpContext httpContext, string scope, long perMinute, TimeSpan retryAfter)
    {
        var seconds = Math.Max(1, (long)Math.Ceiling(retryAfter.TotalSeconds));
        httpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        var problem = new ProblemDetails
        {
            Status = StatusCodes.Status429TooManyRequests,
            Title = "Too many requests",
            Detail = $"This {(scope == "key" ? "API key" : "user")} may make {perMinute} requests per minute. Try again in {seconds} s.",
        };
        problem.Extensions["metric"] = QuotaMetric.Requests.ToString();
        problem.Extensions["scope"] = scope;
        problem.Extensions["period"] = "minute";
        problem.Extensions["limit"] = perMinute;
        problem.Extensions["retryAfterSeconds"] = seconds;
        return problem;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled exception on API request {Path}")]
    private static partial void LogUnhandled(ILogger logger, PathString path, Exception exception);
}
