using System.Security.Cryptography;
using System.Text;

namespace UncertaintyService.Cli.Pipeline;

/// <summary>
/// A split, or <c>--train-size N</c> of its rows: N rows drawn at random but the same for every command
/// (finetune, fit-kfac, tune-prior and the fit commands must use one subset), chosen by the sha256 of
/// each row's text rather than by file order, so a file sorted by class still gives a mixed subset.
/// The rows keep their file order. An empty split is an error naming it.
/// </summary>
public static class TrainingSubset
{
    public static List<T> Take<T>(List<T> rows, int? limit, Func<T, string> text, string dataPath, string split)
    {
        if (rows.Count == 0)
            throw new ArgumentException($"{dataPath}: split '{split}' has no rows");
        if (limit is not { } n || n >= rows.Count) return rows;
        if (n < 1) throw new ArgumentException($"--train-size {n}: must be at least 1");
        var chosen = rows.Select((row, index) => (Index: index, Key: Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text(row))))))
            .OrderBy(r => r.Key, StringComparer.Ordinal).ThenBy(r => r.Index)
            .Take(n).Select(r => r.Index).Order().ToList();
        return chosen.Select(i => rows[i]).ToList();
    }
}
