using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace UncertaintyService.Api.Options;

/// <summary>
/// Checks the data annotations of every section of <see cref="ServiceOptions"/>, nested ones included:
/// <c>ValidateDataAnnotations</c> looks at the top-level object only, so a <c>[Range]</c> on
/// <c>Limits:MaxPromptsPerRequest</c> would otherwise never be enforced. Each failure names its key.
/// </summary>
public sealed class ServiceOptionsValidation : IValidateOptions<ServiceOptions>
{
    public ValidateOptionsResult Validate(string? name, ServiceOptions options)
    {
        var failures = new List<string>();
        Check(options, "");
        Check(options.Limits, "Limits:");
        Check(options.Batching, "Batching:");
        Check(options.Admin, "Admin:");
        Check(options.Outcomes, "Outcomes:");
        for (int i = 0; i < options.Bundles.Count; i++) Check(options.Bundles[i], $"Bundles:{i}:");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);

        void Check(object section, string prefix)
        {
            var results = new List<ValidationResult>();
            if (!Validator.TryValidateObject(section, new ValidationContext(section), results, validateAllProperties: true))
                failures.AddRange(results.Select(r => $"{ServiceOptions.Section}:{prefix}{string.Join(",", r.MemberNames)}: {r.ErrorMessage}"));
        }
    }
}
