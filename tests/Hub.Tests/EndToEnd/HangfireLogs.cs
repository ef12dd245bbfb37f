using Hangfire.Logging;

namespace Hub.Tests.EndToEnd;

/// <summary>
/// Works around a process-wide Hangfire setting (see the report on JobsSetup): Hangfire keeps one static log provider,
/// which each hub points at its own ILoggerFactory; once that hub is disposed, the next hub built in the process dies
/// in its SQLiteStorage constructor (ObjectDisposedException: LoggerFactory). The tests here detach it before building
/// a hub and after disposing one, so their hubs and the CLI can be built one after another in the test process.
/// </summary>
static class HangfireLogs
{
    public static void Detach() => LogProvider.SetCurrentLogProvider(Silent.Instance);

    sealed class Silent : ILogProvider
    {
        public static readonly Silent Instance = new();
        public ILog GetLogger(string name) => Nothing.Instance;
    }

    sealed class Nothing : ILog
    {
        public static readonly Nothing Instance = new();
        public bool Log(LogLevel logLevel, Func<string> messageFunc, Exception exception = null) => false;
    }
}
