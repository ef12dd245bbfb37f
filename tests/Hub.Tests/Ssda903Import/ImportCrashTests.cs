using System.Diagnostics;
using Hub.Tests.Infrastructure;
using Npgsql;

namespace Hub.Tests.Ssda903Import;

/// <summary>An import is one transaction: killing the importing process mid-write (kill -9) leaves the store as it was.</summary>
public sealed class ImportCrashTests
{
    static Process Cli(string connectionString, string folder, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, WorkingDirectory = folder };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Hub.Api.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["Hub__Database__Provider"] = "Postgres";
        start.Environment["ConnectionStrings__Hub"] = connectionString;
        start.Environment["Hub__Auth__SigningKey"] = Path.Combine(folder, "key.pem");
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        return Process.Start(start)!;
    }

    static async Task<long> CountAsync(string connectionString, string sql)
    {
        await using var c = new NpgsqlConnection(connectionString);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, c);
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task an_import_killed_while_writing_leaves_the_store_as_it_was()
    {
        var cs = PostgresCluster.Instance.CreateDatabase("crash");
        var folder = Directory.CreateTempSubdirectory("carehub-crash-").FullName;
        var data = Path.Combine(Ssda903.Ssda903TestFiles.Synthetic, "2018");

        using (var migrate = Cli(cs, folder, "reference", "load", Path.Combine(AppContext.BaseDirectory, "ReferenceData", "demo")))
        {
            await migrate.WaitForExitAsync();
            Assert.Equal(0, migrate.ExitCode);
        }
        const string children = "select count(*) from resources where \"Type\" in ('Patient','EpisodeOfCare','Observation','Flag')";
        var before = (await CountAsync(cs, "select count(*) from resources"), await CountAsync(cs, "select count(*) from resource_versions"),
            await CountAsync(cs, "select count(*) from audit_events"), await CountAsync(cs, "select count(*) from patient_facts"));
        Assert.Equal(0, await CountAsync(cs, children));

        // The import's last write before its commit is its AuditEvent. Holding audit_events locked here stops it there, with
        // everything else written and not committed: the kill then lands mid-transaction however fast the import runs
        // (waiting for a progress line alone raced the commit once the import got quick).
        await using (var holder = new NpgsqlConnection(cs))
        {
            await holder.OpenAsync();
            await using var hold = await holder.BeginTransactionAsync();
            await using (var lockAudit = new NpgsqlCommand("LOCK TABLE audit_events IN EXCLUSIVE MODE", holder, hold)) await lockAudit.ExecuteNonQueryAsync();

            using var import = Cli(cs, folder, "import", "ssda903", "--la", "933", "--year", "2018", data);
            string? line;
            var sawWriting = false;
            while ((line = await import.StandardError.ReadLineAsync()) is not null)
                if (line.Contains("[import] writing")) { sawWriting = true; break; }
            Assert.True(sawWriting, "the import never reached its writing stage");
            const string waiting = "select count(*) from pg_locks where not granted and relation = 'audit_events'::regclass";
            var deadline = DateTime.UtcNow.AddMinutes(2);
            while (await CountAsync(cs, waiting) == 0)
            {
                Assert.True(DateTime.UtcNow < deadline, "the import never reached its last write");
                await Task.Delay(100);
            }
            Assert.Equal(0, await CountAsync(cs, children)); // written in its transaction, seen by no one else
            import.Kill(entireProcessTree: true);
            await import.WaitForExitAsync();
            await hold.RollbackAsync();
        }
        var after = (await CountAsync(cs, "select count(*) from resources"), await CountAsync(cs, "select count(*) from resource_versions"),
            await CountAsync(cs, "select count(*) from audit_events"), await CountAsync(cs, "select count(*) from patient_facts"));
        Assert.Equal(before, after);

        // And the store is sound: the same import run to the end commits.
        using (var again = Cli(cs, folder, "import", "ssda903", "--la", "933", "--year", "2018", data))
        {
            var output = await again.StandardOutput.ReadToEndAsync();
            await again.WaitForExitAsync();
            Assert.Equal(1, again.ExitCode); // 1: committed, with children quarantined (contract section 4)
            Assert.Contains("imported=723", output);
        }
        Assert.True(await CountAsync(cs, children) > 700);
        try { Directory.Delete(folder, recursive: true); } catch (IOException) { }
    }
}
