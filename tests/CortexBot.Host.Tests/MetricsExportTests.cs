using System.Net;
using System.Net.Sockets;
using System.Text;
using CortexBot.Host.Telemetry;

namespace CortexBot.Host.Tests;

/// <summary>The optional OpenTelemetry export: a Prometheus scrape and OTLP/HTTP pushes during a real episode.</summary>
[Collection("end-to-end")]
public sealed class MetricsExportTests
{
    private static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    [Fact]
    public async Task Prometheus_scrapes_and_an_OTLP_collector_receives_the_CortexBot_meter_during_an_episode()
    {
        int promPort = FreePort(), otlpPort = FreePort();
        // A stand-in OTLP/HTTP collector: it takes what the exporter POSTs to /v1/metrics.
        using var collector = new HttpListener();
        collector.Prefixes.Add($"http://127.0.0.1:{otlpPort}/");
        collector.Start();
        var bodies = new List<(string Path, string ContentType, byte[] Body)>();
        var collecting = Task.Run(async () =>
        {
            while (collector.IsListening)
            {
                HttpListenerContext ctx;
                try { ctx = await collector.GetContextAsync(); } catch (Exception) { return; }
                using var ms = new MemoryStream();
                await ctx.Request.InputStream.CopyToAsync(ms);
                lock (bodies) bodies.Add((ctx.Request.Url!.AbsolutePath, ctx.Request.ContentType ?? "", ms.ToArray()));
                ctx.Response.StatusCode = 200;
                ctx.Response.Close();
            }
        });

        var options = TestOptions.Realtime() with
        {
            RealtimePriority = false,
            Metrics = new MetricsExportOptions { PrometheusPort = promPort, Otlp = new Uri($"http://127.0.0.1:{otlpPort}"), ExportInterval = TimeSpan.FromSeconds(1) },
        };
        string scrape = "";
        var run = CortexBotRunner.RunAsync(options, "put the red cube in the bin", 1, 3);
        using (var http = new HttpClient())
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (!run.IsCompleted && DateTime.UtcNow < deadline && !scrape.Contains("cortexbot_control_tick_jitter"))
            {
                try { scrape = await http.GetStringAsync($"http://127.0.0.1:{promPort}/metrics"); } catch (HttpRequestException) { }
                await Task.Delay(500);
            }
        }
        var result = await run;
        Assert.Equal(1.0, result.Report!.SuccessRate);
        collector.Stop();
        await collecting;

        Assert.Contains("cortexbot_control_tick_jitter", scrape);
        lock (bodies)
        {
            Assert.NotEmpty(bodies);
            Assert.All(bodies, b => Assert.Equal("/v1/metrics", b.Path));
            Assert.Contains(bodies, b => b.ContentType.StartsWith("application/x-protobuf") && Encoding.UTF8.GetString(b.Body).Contains("cortexbot.control.tick_jitter"));
        }
    }

    [Fact]
    public void Bad_export_settings_are_refused_naming_the_flag()
    {
        Assert.Contains("--otlp", Assert.Throws<Core.ConfigurationException>(() => new MetricsExportOptions { Otlp = new Uri("ftp://x") }.Validate()).Message);
        Assert.Contains("--prometheus", Assert.Throws<Core.ConfigurationException>(() => new MetricsExportOptions { PrometheusPort = 70000 }.Validate()).Message);
    }
}
