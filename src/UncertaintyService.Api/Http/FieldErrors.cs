namespace UncertaintyService.Api.Http;

/// <summary>
/// A request's problems by field, reported together as one 422. At most <see cref="MaxReported"/> are
/// kept (then a count of the rest), so a body with a million bad entries cannot make a huge answer.
/// </summary>
public sealed class FieldErrors
{
    public const int MaxReported = 20;

    private readonly Dictionary<string, List<string>> errors = [];
    private int reported, omitted;

    public bool Any => reported > 0;

    public void Add(string field, string problem)
    {
        if (reported >= MaxReported)
        {
            omitted++;
            return;
        }
        if (!errors.TryGetValue(field, out var list)) errors[field] = list = [];
        list.Add(problem);
        reported++;
    }

    public void ThrowIfAny(IReadOnlyDictionary<string, object?>? extensions = null)
    {
        if (!Any) return;
        string detail = string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}"));
        if (omitted > 0) detail += $"; and {omitted} more problems not listed";
        throw new Serving.ServiceException(Serving.ErrorKind.Validation, "Invalid request", detail,
            errors.ToDictionary(e => e.Key, e => e.Value.ToArray())) { Extensions = extensions };
    }
}
