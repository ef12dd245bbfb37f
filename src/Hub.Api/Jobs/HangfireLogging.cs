using Hangfire.Logging;

namespace Hub.Api.Jobs;

/// <summary>
/// Hangfire's logs into the hub's logging. Hangfire keeps one log provider for the whole process; the stock ASP.NET Core
/// one holds the first hub's logger factory and throws once that hub is disposed (two hubs in one test process, or the
/// CLI run twice). This one follows the most recently started hub and stays silent when its factory is gone.
/// </summary>
public sealed class HangfireLogging : ILogProvider
{
    static volatile ILoggerFactory? current;
    public static readonly HangfireLogging Instance = new();

    public static void Follow(ILoggerFactory factory)
    {
        current = factory;
        LogProvider.SetCurrentLogProvider(Instance);
    }

    public ILog GetLogger(string name) => new Logger(name);

    sealed class Logger(string name) : ILog
    {
        public bool Log(Hangfire.Logging.LogLevel level, Func<string>? message, Exception? exception = null)
        {
            try
            {
                var logger = current?.CreateLogger(name);
                if (logger is null) return false;
                var mapped = (Microsoft.Extensions.Logging.LogLevel)(int)level;
                if (message is null) return logger.IsEnabled(mapped);
                if (logger.IsEnabled(mapped)) logger.Log(mapped, exception, "{Message}", message());
                return true;
            }
            catch (ObjectDisposedException) { return false; }
        }
    }
}
