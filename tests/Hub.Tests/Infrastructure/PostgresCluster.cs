using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Npgsql;

namespace Hub.Tests.Infrastructure;

/// <summary>
/// A throwaway PostgreSQL cluster shared by the whole test run (one per test process).
/// <para>
/// The cluster lives in a fresh directory under <see cref="Path.GetTempPath"/>, listens on a free loopback port and trusts
/// every local connection. It is started on first use of <see cref="Instance"/> and stopped (and its directory deleted)
/// when the process exits. If the test process is killed instead, a small watchdog shell process stops the orphaned
/// postmaster and deletes the directory, and the next run also removes any directory left behind by a dead run.
/// </para>
/// <para>
/// When the PostgreSQL server binaries are missing the first use throws: tests that need a database fail, never skip.
/// Give each test class its own database with <see cref="CreateDatabase"/> (or <see cref="PostgresDatabaseFixture"/>).
/// </para>
/// </summary>
public sealed class PostgresCluster
{
    /// <summary>OS user that owns and runs the cluster when the tests run as root (PostgreSQL refuses to run as root).</summary>
    public const string ClusterOsUser = "postgres";

    /// <summary>The database superuser.</summary>
    public const string SuperUser = "postgres";

    /// <summary>Environment variable naming a directory that holds initdb and pg_ctl; it wins over every other place.</summary>
    public const string BinDirectoryVariable = "CAREHUB_PG_BINDIR";

    private const string DirectoryPrefix = "carehub-pg-";
    private const string OwnerFileName = "owner";

    private static readonly TimeSpan InitDbTimeout = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ShortCommandTimeout = TimeSpan.FromSeconds(20);

    private static readonly Lazy<PostgresCluster> s_instance = new(StartShared, LazyThreadSafetyMode.ExecutionAndPublication);
    private static int s_databaseCounter;

    private readonly PostgresBinaries _binaries;
    private readonly bool _runAsClusterUser;
    private readonly object _stopLock = new();
    private bool _stopped;

    // The watchdog reads its stdin until EOF, which comes when this process ends in any way (even SIGKILL); it then stops
    // the postmaster and deletes the directory. The Process object (and with it the pipe's write end) must stay referenced.
    private Process? _watchdog;

    /// <summary>The shared cluster, started on first use. Throws (every time) if it cannot be started.</summary>
    public static PostgresCluster Instance => s_instance.Value;

    /// <summary>Whether <see cref="Instance"/> has been started in this process.</summary>
    public static bool IsStarted => s_instance.IsValueCreated;

    /// <summary>Always the IPv4 loopback address.</summary>
    public string Host => "127.0.0.1";

    /// <summary>The TCP port the cluster listens on.</summary>
    public int Port { get; private set; }

    /// <summary>Directory holding the pg_ctl that runs this cluster.</summary>
    public string BinDirectory => Path.GetDirectoryName(_binaries.PgCtl)!;

    /// <summary>The cluster's own temporary directory (data directory, socket, log).</summary>
    public string RootDirectory { get; }

    /// <summary>The PostgreSQL data directory.</summary>
    public string DataDirectory => Path.Combine(RootDirectory, "data");

    /// <summary>The server log.</summary>
    public string LogFile => Path.Combine(RootDirectory, "postgres.log");

    /// <summary>The server's version, e.g. "15.14 (Debian 15.14-0+deb12u1)".</summary>
    public string ServerVersion { get; private set; } = "";

    /// <summary>Wall time from the start of <see cref="Instance"/>'s creation until the server answered a query.</summary>
    public TimeSpan StartupDuration { get; private set; }

    /// <summary>Connection string to the maintenance database "postgres" (for administration, not for tests' data).</summary>
    public string AdminConnectionString => BuildConnectionString("postgres");

    private PostgresCluster(PostgresBinaries binaries, bool runAsClusterUser, string rootDirectory)
    {
        _binaries = binaries;
        _runAsClusterUser = runAsClusterUser;
        RootDirectory = rootDirectory;
    }

    /// <summary>
    /// Creates a fresh, empty UTF-8 database and returns a connection string to it
    /// (<c>Host=127.0.0.1;Port=…;Username=postgres;Database=…;Pooling=true</c>).
    /// </summary>
    /// <param name="name">
    /// A readable prefix for the database name (e.g. the test class name). It is lower-cased, reduced to letters, digits
    /// and underscores, and always given a unique suffix, so every call creates a new database.
    /// </param>
    public string CreateDatabase(string? name = null)
    {
        var databaseName = MakeDatabaseName(name);
        using (var connection = new NpgsqlConnection(AdminConnectionString))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = $"CREATE DATABASE {QuoteIdentifier(databaseName)} TEMPLATE template0 ENCODING 'UTF8'";
            command.ExecuteNonQuery();
        }

        return BuildConnectionString(databaseName);
    }

    /// <summary>Drops a database made by <see cref="CreateDatabase"/>, ending its sessions. Takes a name or a connection string.</summary>
    public void DropDatabase(string databaseNameOrConnectionString)
    {
        var databaseName = databaseNameOrConnectionString.Contains('=', StringComparison.Ordinal)
            ? new NpgsqlConnectionStringBuilder(databaseNameOrConnectionString).Database
            : databaseNameOrConnectionString;
        if (string.IsNullOrEmpty(databaseName) || databaseName is "postgres" or "template0" or "template1")
        {
            throw new ArgumentException($"Refusing to drop database '{databaseName}'.", nameof(databaseNameOrConnectionString));
        }

        using (var pooled = new NpgsqlConnection(BuildConnectionString(databaseName)))
        {
            NpgsqlConnection.ClearPool(pooled);
        }

        using var connection = new NpgsqlConnection(AdminConnectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"DROP DATABASE IF EXISTS {QuoteIdentifier(databaseName)} WITH (FORCE)";
        command.ExecuteNonQuery();
    }

    /// <summary>Connection string to the named database on this cluster (the database is not created).</summary>
    public string BuildConnectionString(string database) =>
        string.Create(CultureInfo.InvariantCulture, $"Host={Host};Port={Port};Username={SuperUser};Database={database};Pooling=true;Connection Idle Lifetime=15;Connection Pruning Interval=3");

    /// <summary>The end of the server log, for failure messages.</summary>
    public string ReadLogTail(int maxChars = 8000) => ReadTail(LogFile, maxChars);

    /// <summary>
    /// Finds initdb and pg_ctl: in <c>$CAREHUB_PG_BINDIR</c>, on PATH, or under <c>/usr/lib/postgresql/*/bin</c>
    /// (highest version). Returns null when they are not found.
    /// </summary>
    public static PostgresBinaries? FindBinaries()
    {
        var overrideDirectory = Environment.GetEnvironmentVariable(BinDirectoryVariable);
        if (!string.IsNullOrWhiteSpace(overrideDirectory))
        {
            return FromDirectory(overrideDirectory);
        }

        var initDbOnPath = FindOnPath("initdb");
        var pgCtlOnPath = FindOnPath("pg_ctl");
        if (initDbOnPath is not null && pgCtlOnPath is not null)
        {
            return new PostgresBinaries(initDbOnPath, pgCtlOnPath);
        }

        const string debianRoot = "/usr/lib/postgresql";
        if (!Directory.Exists(debianRoot))
        {
            return null;
        }

        return Directory.EnumerateDirectories(debianRoot)
            .Select(directory => (Directory: Path.Combine(directory, "bin"), Version: ParseVersion(Path.GetFileName(directory))))
            .OrderByDescending(candidate => candidate.Version)
            .Select(candidate => FromDirectory(candidate.Directory))
            .FirstOrDefault(binaries => binaries is not null);

        static PostgresBinaries? FromDirectory(string directory)
        {
            var initDb = Path.Combine(directory, "initdb");
            var pgCtl = Path.Combine(directory, "pg_ctl");
            return File.Exists(initDb) && File.Exists(pgCtl) ? new PostgresBinaries(initDb, pgCtl) : null;
        }

        static Version ParseVersion(string text)
        {
            var numbers = text.Split('.').Select(part => int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : -1).ToList();
            if (numbers.Count == 0 || numbers.Any(n => n < 0))
            {
                return new Version(0, 0);
            }

            return new Version(numbers[0], numbers.Count > 1 ? numbers[1] : 0);
        }
    }

    private static PostgresCluster StartShared()
    {
        var clock = Stopwatch.StartNew();
        RemoveStaleDirectories();

        var binaries = FindBinaries() ?? throw new InvalidOperationException(MissingBinariesMessage());
        var runAsClusterUser = IsRoot();
        if (runAsClusterUser)
        {
            var id = ProcessRunner.Run("id", ["-u", ClusterOsUser], ShortCommandTimeout);
            if (!id.Succeeded)
            {
                throw new InvalidOperationException(
                    $"The tests run as root, and PostgreSQL refuses to run as root, but there is no '{ClusterOsUser}' OS user " +
                    $"to run the test cluster as. Create it (e.g. `useradd --system --create-home {ClusterOsUser}`, or " +
                    "install the `postgresql` package, which creates it) or run the tests as an ordinary user.");
            }
        }

        var rootDirectory = CreateRootDirectory(runAsClusterUser);
        var cluster = new PostgresCluster(binaries, runAsClusterUser, rootDirectory);
        try
        {
            cluster.StartWatchdog();
            cluster.InitDb();
            cluster.StartServer();
            AppDomain.CurrentDomain.ProcessExit += (_, _) => cluster.StopOnExit();
            cluster.StartupDuration = clock.Elapsed;
            return cluster;
        }
        catch
        {
            cluster.Stop();
            throw;
        }
    }

    private static string MissingBinariesMessage()
    {
        var overrideDirectory = Environment.GetEnvironmentVariable(BinDirectoryVariable);
        var where = string.IsNullOrWhiteSpace(overrideDirectory)
            ? "PATH or /usr/lib/postgresql/*/bin"
            : $"{BinDirectoryVariable}={overrideDirectory} (which replaces the search of PATH and /usr/lib/postgresql/*/bin)";
        if (IsCi())
        {
            return $"PostgreSQL server binaries (initdb, pg_ctl) were not found in {where}. CI=true, so tests that need " +
                   "PostgreSQL fail instead of being skipped. .ci/run is meant to install them " +
                   "(`apt-get install -y postgresql`); check its log.";
        }

        return $"PostgreSQL server binaries (initdb, pg_ctl) were not found in {where}, so tests that need PostgreSQL " +
               "cannot run. Install the server: `sudo apt-get install -y postgresql` on Debian/Ubuntu " +
               "(`brew install postgresql@15` on macOS), or set " + BinDirectoryVariable + " to the directory holding initdb and pg_ctl.";
    }

    private static bool IsCi()
    {
        var ci = Environment.GetEnvironmentVariable("CI");
        return string.Equals(ci, "true", StringComparison.OrdinalIgnoreCase) || ci == "1";
    }

    private static string CreateRootDirectory(bool runAsClusterUser)
    {
        var candidates = new List<string> { Path.GetTempPath() };
        if (runAsClusterUser && !candidates.Contains("/tmp/") && !candidates.Contains("/tmp"))
        {
            // The postgres user may be unable to reach root's TMPDIR (e.g. under /root); /tmp always works.
            candidates.Add("/tmp");
        }

        var failures = new StringBuilder();
        foreach (var parent in candidates)
        {
            var directory = Path.Combine(parent, string.Create(CultureInfo.InvariantCulture,
                $"{DirectoryPrefix}{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}"));
            try
            {
                CreatePrivateDirectory(directory);
                File.WriteAllText(Path.Combine(directory, OwnerFileName), OwnerStamp());
                if (!runAsClusterUser)
                {
                    return directory;
                }

                ProcessRunner.Run("chown", [$"{ClusterOsUser}:", directory], ShortCommandTimeout).EnsureSuccess("chown of the cluster directory");
                var probe = RunAs(ClusterOsUser, "test", ["-w", directory], ShortCommandTimeout);
                if (probe.Succeeded)
                {
                    return directory;
                }

                failures.AppendLine(CultureInfo.InvariantCulture, $"{directory}: not writable by the '{ClusterOsUser}' user.");
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or InvalidOperationException)
            {
                failures.AppendLine(CultureInfo.InvariantCulture, $"{directory}: {exception.Message}");
            }

            TryDeleteDirectory(directory);
        }

        throw new InvalidOperationException("Could not create a directory for the test PostgreSQL cluster:" + Environment.NewLine + failures);
    }

    private static void CreatePrivateDirectory(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory);
        }
        else
        {
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    private void InitDb()
    {
        // C.UTF-8 gives Unicode-aware lower()/upper() with byte-order (deterministic) sorting; plain C is the fallback
        // for systems without that locale.
        var failures = new StringBuilder();
        foreach (var locale in new[] { "C.UTF-8", "C" })
        {
            TryDeleteDirectory(DataDirectory);
            var result = RunAsClusterUser(_binaries.InitDb,
                ["-D", DataDirectory, "-A", "trust", "-U", SuperUser, "--encoding=UTF8", $"--locale={locale}", "--no-sync"],
                InitDbTimeout);
            if (result.Succeeded)
            {
                return;
            }

            failures.AppendLine(result.Describe());
        }

        throw new InvalidOperationException("initdb failed for the test PostgreSQL cluster." + Environment.NewLine + failures);
    }

    private void StartServer()
    {
        var failures = new StringBuilder();
        for (var attempt = 1; attempt <= 3; attempt++)
        {
            // Another process may take the port between probing and binding it; then try another one.
            Port = FindFreeLoopbackPort();
            var options = string.Create(CultureInfo.InvariantCulture,
                $"-p {Port} -k {RootDirectory} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400 -c timezone=UTC");
            var start = RunAsClusterUser(_binaries.PgCtl,
                ["start", "-D", DataDirectory, "-l", LogFile, "-w", "-t", "60", "-o", options],
                StartTimeout);
            var connectError = "";
            if (start.Succeeded && TryConnect(out var version, out connectError))
            {
                ServerVersion = version;
                return;
            }

            failures.AppendLine(CultureInfo.InvariantCulture, $"Attempt {attempt} (port {Port}):");
            failures.AppendLine(start.Describe());
            if (start.Succeeded)
            {
                failures.AppendLine(CultureInfo.InvariantCulture, $"pg_ctl reported success but connecting failed: {connectError}");
            }

            failures.AppendLine("Server log:");
            failures.AppendLine(ReadLogTail(4000));
            StopServer();
        }

        throw new InvalidOperationException("Could not start the test PostgreSQL cluster." + Environment.NewLine + failures);
    }

    private bool TryConnect(out string version, out string error)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var connection = new NpgsqlConnection(AdminConnectionString + ";Timeout=5");
                connection.Open();
                using var command = connection.CreateCommand();
                command.CommandText = "SHOW server_version";
                version = (string)command.ExecuteScalar()!;
                error = "";
                return true;
            }
            catch (Exception exception) when (exception is NpgsqlException or SocketException or TimeoutException)
            {
                if (deadline.Elapsed > TimeSpan.FromSeconds(30))
                {
                    version = "";
                    error = exception.Message;
                    return false;
                }

                Thread.Sleep(100);
            }
        }
    }

    private void Stop()
    {
        lock (_stopLock)
        {
            if (_stopped)
            {
                return;
            }

            _stopped = true;
        }

        try
        {
            NpgsqlConnection.ClearAllPools();
        }
        catch (Exception)
        {
            // Best effort while shutting down.
        }

        StopServer();
        TryDeleteDirectory(RootDirectory);
        ReleaseWatchdog();
    }

    /// <summary>
    /// Process exit: the test host may be killed within ~100 ms of starting its exit (vstest does so, together with any
    /// child such as pg_ctl), so signal the postmaster directly (SIGQUIT is what <c>pg_ctl stop -m immediate</c> sends),
    /// delete the directory, and let the watchdog finish whatever is left if this process is killed part-way.
    /// </summary>
    private void StopOnExit()
    {
        lock (_stopLock)
        {
            if (_stopped)
            {
                return;
            }

            _stopped = true;
        }

        try
        {
            KillPostmaster(DataDirectory, TimeSpan.FromSeconds(3));
            TryDeleteDirectory(RootDirectory);
        }
        finally
        {
            ReleaseWatchdog();
        }
    }

    private void ReleaseWatchdog()
    {
        try
        {
            _watchdog?.StandardInput.Close();
        }
        catch (Exception exception) when (exception is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // Already closed.
        }
    }

    private void StopServer()
    {
        var pidFile = Path.Combine(DataDirectory, "postmaster.pid");
        if (!File.Exists(pidFile))
        {
            return;
        }

        try
        {
            var stop = RunAsClusterUser(_binaries.PgCtl, ["stop", "-D", DataDirectory, "-m", "immediate", "-w", "-t", "15"], StopTimeout);
            if (stop.Succeeded)
            {
                return;
            }
        }
        catch (Exception)
        {
            // Fall through to signalling the postmaster directly.
        }

        KillPostmaster(DataDirectory, TimeSpan.FromSeconds(10));
    }

    private void StartWatchdog()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        // setsid + background subshell: the watchdog leaves this process tree (so a tree kill of the test host spares it)
        // and its session (so Ctrl+C spares it). Job control is off in sh -c, so a background list gets /dev/null as
        // stdin; keep the pipe on fd 3 instead. `cat` returns when the last writer - this process - is gone.
        var script = string.Join('\n',
            "exec 3<&0",
            "(",
            "  trap '' HUP INT",
            "  cat <&3 >/dev/null",
            "  exec 3<&-",
            $"  root={ShellQuote(RootDirectory)}",
            "  pidfile=\"$root/data/postmaster.pid\"",
            "  if [ -f \"$pidfile\" ]; then",
            "    pm=$(head -n 1 \"$pidfile\")",
            "    if [ -n \"$pm\" ] && [ \"$(cat /proc/$pm/comm 2>/dev/null)\" = postgres ]; then",
            "      kill -QUIT \"$pm\" 2>/dev/null",
            "      i=0; while [ -d /proc/$pm ] && ! grep -q '^State:[[:space:]]*[ZX]' /proc/$pm/status 2>/dev/null && [ $i -lt 50 ]; do sleep 0.2; i=$((i+1)); done",
            "      kill -KILL \"$pm\" 2>/dev/null",
            "    fi",
            "  fi",
            "  rm -rf \"$root\"",
            ") </dev/null >/dev/null 2>&1 &");
        var setsid = FindOnPath("setsid");
        var startInfo = new ProcessStartInfo(setsid ?? "/bin/sh")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = "/",
        };
        if (setsid is not null)
        {
            startInfo.ArgumentList.Add("/bin/sh");
        }

        startInfo.ArgumentList.Add("-c");
        startInfo.ArgumentList.Add(script);

        var launcher = Process.Start(startInfo) ?? throw new InvalidOperationException("Could not start the cluster watchdog.");
        _watchdog = launcher;
        if (!launcher.WaitForExit(ShortCommandTimeout) || launcher.ExitCode != 0)
        {
            throw new InvalidOperationException("Could not start the cluster watchdog: " + launcher.StandardError.ReadToEnd());
        }
    }

    private static void RemoveStaleDirectories()
    {
        var parents = new[] { Path.GetTempPath(), "/tmp" }
            .Where(Directory.Exists)
            .Select(path => Path.GetFullPath(path).TrimEnd('/'))
            .Distinct(StringComparer.Ordinal);
        foreach (var parent in parents)
        {
            IEnumerable<string> directories;
            try
            {
                directories = Directory.EnumerateDirectories(parent, DirectoryPrefix + "*").ToList();
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                continue;
            }

            foreach (var directory in directories)
            {
                try
                {
                    RemoveIfStale(directory);
                }
                catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or FormatException)
                {
                    // Someone else's directory, or one being removed concurrently: leave it.
                }
            }
        }
    }

    private static void RemoveIfStale(string directory)
    {
        var ownerFile = Path.Combine(directory, OwnerFileName);
        if (File.Exists(ownerFile))
        {
            var parts = File.ReadAllText(ownerFile).Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length >= 1 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var ownerPid)
                && IsProcessAlive(ownerPid, parts.Length >= 2 ? parts[1] : null))
            {
                return;
            }
        }
        else if (DateTime.UtcNow - Directory.GetLastWriteTimeUtc(directory) < TimeSpan.FromMinutes(10))
        {
            return; // Possibly being created right now by another run.
        }

        KillPostmaster(Path.Combine(directory, "data"), TimeSpan.FromSeconds(10));
        TryDeleteDirectory(directory);
    }

    /// <summary>Immediate shutdown (SIGQUIT) of the postmaster of a data directory, then SIGKILL if it outlives the timeout.</summary>
    private static void KillPostmaster(string dataDirectory, TimeSpan timeout)
    {
        var pidFile = Path.Combine(dataDirectory, "postmaster.pid");
        string? firstLine;
        try
        {
            firstLine = File.Exists(pidFile) ? File.ReadLines(pidFile).FirstOrDefault() : null;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return;
        }

        if (OperatingSystem.IsWindows()
            || !int.TryParse(firstLine, NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
            || !IsPostgresProcess(pid))
        {
            return;
        }

        _ = SendSignal(pid, SigQuit);
        var waited = Stopwatch.StartNew();
        while (IsPostgresProcess(pid) && waited.Elapsed < timeout)
        {
            Thread.Sleep(20);
        }

        if (IsPostgresProcess(pid))
        {
            _ = SendSignal(pid, SigKill);
        }
    }

    private const int SigQuit = 3;
    private const int SigKill = 9;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);

    private static bool IsPostgresProcess(int pid)
    {
        try
        {
            // A zombie (exited, not yet reaped by its new parent) counts as gone.
            var status = File.ReadAllLines(string.Create(CultureInfo.InvariantCulture, $"/proc/{pid}/status"));
            var name = status.FirstOrDefault(line => line.StartsWith("Name:", StringComparison.Ordinal))?[5..].Trim();
            var state = status.FirstOrDefault(line => line.StartsWith("State:", StringComparison.Ordinal))?[6..].Trim();
            return name is "postgres" or "postmaster" && state is not null && !state.StartsWith('Z') && !state.StartsWith('X');
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Alive and, where /proc tells, the same process (not a reused pid).</summary>
    private static bool IsProcessAlive(int pid, string? startTime)
    {
        if (!Directory.Exists("/proc/self"))
        {
            try
            {
                using var process = Process.GetProcessById(pid);
                return !process.HasExited;
            }
            catch (ArgumentException)
            {
                return false;
            }
        }

        var current = ProcessStartTime(pid);
        if (current is null)
        {
            return false;
        }

        return startTime is null || startTime == current;
    }

    private static string OwnerStamp() =>
        string.Create(CultureInfo.InvariantCulture, $"{Environment.ProcessId} {ProcessStartTime(Environment.ProcessId) ?? "?"}");

    private static string? ProcessStartTime(int pid)
    {
        try
        {
            var stat = File.ReadAllText(string.Create(CultureInfo.InvariantCulture, $"/proc/{pid}/stat"));
            // Field 22 (starttime); fields after the ")" that closes the command name start at field 3.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return fields.Length > 19 ? fields[19] : null;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private ProcessResult RunAsClusterUser(string executable, IReadOnlyList<string> arguments, TimeSpan timeout) =>
        _runAsClusterUser
            ? RunAs(ClusterOsUser, executable, arguments, timeout)
            : ProcessRunner.Run(executable, arguments, timeout, RootDirectory, WithoutPgVariables());

    private static ProcessResult RunAs(string user, string executable, IReadOnlyList<string> arguments, TimeSpan timeout)
    {
        var workingDirectory = "/";
        var runuser = new[] { "/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser" }.FirstOrDefault(File.Exists) ?? FindOnPath("runuser");
        if (runuser is not null)
        {
            return ProcessRunner.Run(runuser, ["-u", user, "--", executable, .. arguments], timeout, workingDirectory, WithoutPgVariables());
        }

        var command = string.Join(' ', new[] { executable }.Concat(arguments).Select(ShellQuote));
        return ProcessRunner.Run("su", ["-s", "/bin/sh", user, "-c", command], timeout, workingDirectory, WithoutPgVariables());
    }

    /// <summary>PG* variables (PGDATA, PGPORT, PGHOST, …) of the caller must not steer the test cluster.</summary>
    private static Dictionary<string, string?> WithoutPgVariables()
    {
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var key in Environment.GetEnvironmentVariables().Keys.OfType<string>())
        {
            if (key.StartsWith("PG", StringComparison.Ordinal))
            {
                environment[key] = null;
            }
        }

        return environment;
    }

    private static bool IsRoot() => !OperatingSystem.IsWindows() && geteuid() == 0;

    [DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint geteuid();

    private static int FindFreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static string? FindOnPath(string name)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var directory in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static string MakeDatabaseName(string? prefix)
    {
        var cleaned = new StringBuilder();
        foreach (var c in (prefix ?? "test").ToLowerInvariant())
        {
            cleaned.Append(c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_' ? c : '_');
        }

        var text = cleaned.ToString().Trim('_');
        if (text.Length == 0 || !char.IsAsciiLetter(text[0]))
        {
            text = "t_" + text;
        }

        if (text.Length > 40)
        {
            text = text[..40];
        }

        var counter = Interlocked.Increment(ref s_databaseCounter);
        return string.Create(CultureInfo.InvariantCulture, $"{text}_{counter}_{Guid.NewGuid().ToString("N")[..6]}");
    }

    private static string QuoteIdentifier(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static string ShellQuote(string text) => "'" + text.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static void TryDeleteDirectory(string directory)
    {
        for (var attempt = 0; attempt < 3; attempt++)
        {
            try
            {
                if (Directory.Exists(directory))
                {
                    Directory.Delete(directory, recursive: true);
                }

                return;
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                Thread.Sleep(200);
            }
        }
    }

    private static string ReadTail(string file, int maxChars)
    {
        try
        {
            if (!File.Exists(file))
            {
                return "(no log)";
            }

            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream);
            var text = reader.ReadToEnd();
            return text.Length <= maxChars ? text : text[^maxChars..];
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return $"(could not read {file}: {exception.Message})";
        }
    }
}

/// <summary>Paths of the PostgreSQL programs the cluster runs.</summary>
public sealed record PostgresBinaries(string InitDb, string PgCtl);

/// <summary>
/// Class fixture giving a test class its own fresh database on the shared <see cref="PostgresCluster"/>; the database
/// is dropped when the class's tests are done. Use as <c>IClassFixture&lt;PostgresDatabaseFixture&gt;</c>.
/// </summary>
public sealed class PostgresDatabaseFixture : IDisposable
{
    public PostgresDatabaseFixture()
    {
        ConnectionString = PostgresCluster.Instance.CreateDatabase("fixture");
        DatabaseName = new NpgsqlConnectionStringBuilder(ConnectionString).Database!;
    }

    public string ConnectionString { get; }

    public string DatabaseName { get; }

    public void Dispose()
    {
        try
        {
            PostgresCluster.Instance.DropDatabase(DatabaseName);
        }
        catch (Exception exception) when (exception is NpgsqlException or InvalidOperationException)
        {
            // The cluster goes away with the process anyway.
        }
    }
}

/// <summary>Result of <see cref="ProcessRunner.Run"/>.</summary>
public sealed record ProcessResult(
    string FileName,
    IReadOnlyList<string> Arguments,
    int ExitCode,
    string StandardOutput,
    string StandardError,
    bool TimedOut,
    TimeSpan Elapsed)
{
    public bool Succeeded => !TimedOut && ExitCode == 0;

    /// <summary>Throws <see cref="InvalidOperationException"/> with the command line and its output unless it succeeded.</summary>
    public ProcessResult EnsureSuccess(string? what = null)
    {
        if (!Succeeded)
        {
            throw new InvalidOperationException((what is null ? "" : what + " failed." + Environment.NewLine) + Describe());
        }

        return this;
    }

    public string Describe()
    {
        var outcome = TimedOut
            ? string.Create(CultureInfo.InvariantCulture, $"timed out after {Elapsed.TotalSeconds:0.0} s (killed)")
            : string.Create(CultureInfo.InvariantCulture, $"exit code {ExitCode} after {Elapsed.TotalSeconds:0.0} s");
        return $"`{FileName} {string.Join(' ', Arguments)}`: {outcome}{Environment.NewLine}" +
               $"--- stdout ---{Environment.NewLine}{StandardOutput.TrimEnd()}{Environment.NewLine}" +
               $"--- stderr ---{Environment.NewLine}{StandardError.TrimEnd()}";
    }
}

/// <summary>Runs a program to completion with a timeout, capturing its output.</summary>
public static class ProcessRunner
{
    /// <summary>
    /// Runs <paramref name="fileName"/> (a path, or a name looked up on PATH) with the given arguments (no shell), stdin
    /// closed, stdout and stderr captured. On timeout the whole process tree is killed and <see cref="ProcessResult.TimedOut"/>
    /// is set. In <paramref name="environment"/> a null value removes a variable. Throws only if the program cannot be started.
    /// </summary>
    public static ProcessResult Run(
        string fileName,
        IReadOnlyList<string> arguments,
        TimeSpan timeout,
        string? workingDirectory = null,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        if (workingDirectory is not null)
        {
            startInfo.WorkingDirectory = workingDirectory;
        }

        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        if (environment is not null)
        {
            foreach (var (key, value) in environment)
            {
                if (value is null)
                {
                    startInfo.Environment.Remove(key);
                }
                else
                {
                    startInfo.Environment[key] = value;
                }
            }
        }

        var clock = Stopwatch.StartNew();
        using var process = new Process { StartInfo = startInfo };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception exception)
        {
            throw new InvalidOperationException($"Could not start `{fileName}`: {exception.Message}", exception);
        }

        process.StandardInput.Close();
        var standardOutput = new StringBuilder();
        var standardError = new StringBuilder();
        var pumps = new[] { Pump(process.StandardOutput, standardOutput), Pump(process.StandardError, standardError) };

        var timedOut = !process.WaitForExit(timeout);
        if (timedOut)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (Exception exception) when (exception is InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // Already gone.
            }

            process.WaitForExit(5000);
        }

        // A daemonised grandchild may keep the pipes open; do not wait for it forever.
        Task.WaitAll(pumps, TimeSpan.FromSeconds(timedOut ? 5 : 30));
        var exitCode = process.HasExited ? process.ExitCode : -1;
        clock.Stop();
        return new ProcessResult(fileName, arguments.ToArray(), exitCode, Snapshot(standardOutput), Snapshot(standardError), timedOut, clock.Elapsed);
    }

    // A thread of its own, not the thread pool: under a loaded test run the pool may not get round to it in time.
    private static Task Pump(StreamReader reader, StringBuilder sink) => Task.Factory.StartNew(() =>
    {
        var buffer = new char[4096];
        try
        {
            int read;
            while ((read = reader.Read(buffer, 0, buffer.Length)) > 0)
            {
                lock (sink)
                {
                    sink.Append(buffer, 0, read);
                }
            }
        }
        catch (Exception exception) when (exception is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The process was disposed while a daemonised grandchild still held the pipe.
        }
    }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private static string Snapshot(StringBuilder sink)
    {
        lock (sink)
        {
            return sink.ToString();
        }
    }
}
