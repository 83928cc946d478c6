namespace UncertaintyService.Core.Bundles;

/// <summary>
/// The one text a reward model scores for (prompt, response): the reward task's template with
/// <c>{prompt}</c> and <c>{response}</c> filled, or, without a template, the two joined as they are (as
/// OpenRLHF sends "prompt + response" in one string). Training, fitting, evaluation and serving all use it.
/// </summary>
public static class RewardText
{
    public static readonly IReadOnlyList<string> TemplateFields = ["prompt", "response"];

    public static string Format(TaskDefinition task, string prompt, string response)
    {
        if (task.PromptTemplate is null) return prompt + response;
        var (text, missing, unknown) = task.Fill(new Dictionary<string, string> { ["prompt"] = prompt, ["response"] = response });
        return text ?? throw new ArgumentException(
            $"The reward template must use exactly {{prompt}} and {{response}} (missing: {string.Join(", ", missing)}; unknown: {string.Join(", ", unknown)}).");
    }
}
