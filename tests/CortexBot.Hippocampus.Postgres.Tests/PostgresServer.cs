using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace CortexBot.Hippocampus.Postgres.Tests;

/// <summary>
/// A real, private PostgreSQL server for the test run: initdb into a temp folder, started with pg_ctl on a free
/// loopback port (as the <c>postgres</c> user when we are root, because initdb refuses root), stopped and deleted after.
/// </summary>
public sealed class PostgresServer : IDisposable
{
    private readonly string _dir;
    private readonly string _data;
    private readonly string _bin;
    private readonly bool _asPostgres;

    public PostgresServer()
    {
        _bin = FindBin() ?? throw new InvalidOperationException(
            "PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin/initdb). Install Debian's postgresql package " +
            "(`make test` and .ci/install-deps.sh do).");
        _asPostgres = Environment.UserName == "root";
        _dir = Path.Combine(Path.GetTempPath(), "cortexbot-pg-" + Guid.NewGuid().ToString("N")[..12]);
        _data = Path.Combine(_dir, "data");
        Directory.CreateDirectory(_dir);
        if (_asPostgres)
            Run("/bin/chown", ["postgres:postgres", _dir], asPostgres: false);
        Run(Path.Combine(_bin, "initdb"), ["-D", _data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"]);
        Port = FreePort();
        Run(Path.Combine(_bin, "pg_ctl"),
        [
            "-D", _data, "-l", Path.Combine(_dir, "server.log"), "-w", "-t", "60",
            "-o", $"-p {Port} -k {_dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50", "start",
        ]);
        AdminConnectionString = $"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres;Pooling=false";
    }

    public int Port { get; }

    public string AdminConnectionString { get; }

    /// <summary>A fresh, empty database; its connection string.</summary>
    public string CreateDatabase()
    {
        var name = "t_" + Guid.NewGuid().ToString("N");
        using var c = new NpgsqlConnection(AdminConnectionString);
        c.Open();
        using var cmd = new NpgsqlCommand($"CREATE DATABASE {name}", c);
        cmd.ExecuteNonQuery();
        return $"Host=127.0.0.1;Port={Port};Username=postgres;Database={name}";
    }

    public void Dispose()
    {
        try
        {
            Run(Path.Combine(_bin, "pg_ctl"), ["-D", _data, "-m", "immediate", "-w", "stop"]);
        }
        catch (InvalidOperationException)
        {
        }
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static string? FindBin()
    {
        const string root = "/usr/lib/postgresql";
        if (!Directory.Exists(root))
            return null;
        return Directory.GetDirectories(root)
            .Select(d => Path.Combine(d, "bin"))
            .Where(b => File.Exists(Path.Combine(b, "initdb")) && File.Exists(Path.Combine(b, "pg_ctl")))
            .OrderByDescending(b => int.TryParse(Path.GetFileName(Path.GetDirectoryName(b)), out int v) ? v : 0)
            .FirstOrDefault();
    }

    private static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    private void Run(string exe, string[] args, bool? asPostgres = null)
    {
        bool su = asPostgres ?? _asPostgres;
        var psi = new ProcessStartInfo(su ? "/usr/sbin/runuser" : exe)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _dir ?? Path.GetTempPath(),
        };
        if (su)
        {
            foreach (var a in new[] { "-u", "postgres", "--", exe })
                psi.ArgumentList.Add(a);
        }
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromSeconds(120)))
        {
            p.Kill(true);
            throw new InvalidOperationException($"{exe} did not finish in 120 s");
        }
        if (p.ExitCode != 0)
        {
            var log = Path.Combine(_dir ?? "", "server.log");
            throw new InvalidOperationException(
                $"{exe} {string.Join(' ', args)} failed ({p.ExitCode}): {stderr.Result}{stdout.Result}" +
                (File.Exists(log) ? "\nserver log:\n" + File.ReadAllText(log) : ""));
        }
    }
}

[CollectionDefinition("postgres")]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>;
