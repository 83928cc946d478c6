using Spectre.Console;

namespace UncertaintyService.Cli.Pipeline;

/// <summary>A Spectre.Console progress bar around one long step, reporting loss or counts as they come.</summary>
public static class ConsoleProgress
{
    public static T Run<T>(string description, int total, Func<IProgress<(int Done, double Value)>, T> work, string valueName = "loss")
    {
        T result = default!;
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask(description, maxValue: total);
                var progress = new Progress<(int Done, double Value)>(p =>
                {
                    task.Value = p.Done;
                    task.Description = double.IsNaN(p.Value) ? description : $"{description} ({valueName} {p.Value:F4})";
                });
                result = work(new SynchronousProgress<(int, double)>(p => ((IProgress<(int, double)>)progress).Report(p)));
                task.Value = total;
            });
        return result;
    }

    // Progress<T> posts to the thread pool; the bar should move with the work.
    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
