using Hub.Api.Ssda903;
using Spectre.Console;

namespace Hub.Api.Cli;

/// <summary>A progress bar on a terminal; plain progress lines when output is redirected (Spectre prints nothing then).</summary>
static class ImportProgressBar
{
    public static async Task<ImportResult> RunAsync(Func<IProgress<ImportProgress>, Task<ImportResult>> work)
    {
        if (!Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive)
        {
            ImportResult? result = null;
            await AnsiConsole.Progress().AutoClear(false).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .StartAsync(async ctx =>
                {
                    var task = ctx.AddTask("reading", maxValue: 1);
                    result = await work(new Progress<ImportProgress>(p =>
                    {
                        task.Description = p.Stage;
                        task.MaxValue = Math.Max(1, p.Total);
                        task.Value = p.Done;
                    }));
                    task.Value = task.MaxValue;
                });
            return result!;
        }
        var lastStage = ""; var lastPercent = -1;
        return await work(new Progress<ImportProgress>(p =>
        {
            var percent = p.Total == 0 ? 0 : 100 * p.Done / p.Total;
            if (p.Stage == lastStage && percent / 10 == lastPercent / 10) return;
            lastStage = p.Stage; lastPercent = percent;
            Console.Error.WriteLine($"[import] {p.Stage} {p.Done}/{p.Total} ({percent}%)");
        }));
    }
}
