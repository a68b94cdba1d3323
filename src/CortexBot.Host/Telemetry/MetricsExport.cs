using CortexBot.Core.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;

namespace CortexBot.Host.Telemetry;

/// <summary>Optional export of the CortexBot meter through OpenTelemetry; off unless an endpoint is given.</summary>
public sealed record MetricsExportOptions
{
    /// <summary>An OTLP/HTTP collector's base address (e.g. http://127.0.0.1:4318); metrics go to its /v1/metrics.</summary>
    public Uri? Otlp { get; init; }

    /// <summary>Serve a Prometheus scrape endpoint on http://127.0.0.1:PORT/metrics (loopback only).</summary>
    public int? PrometheusPort { get; init; }

    /// <summary>How often metrics are pushed to the OTLP collector.</summary>
    public TimeSpan ExportInterval { get; init; } = TimeSpan.FromSeconds(5);

    public bool Enabled => Otlp is not null || PrometheusPort is not null;

    public void Validate()
    {
        if (Otlp is { } u && (u.Scheme is not ("http" or "https")))
            throw new Core.ConfigurationException($"--otlp wants an http(s) URL of an OTLP/HTTP collector, e.g. http://127.0.0.1:4318, got '{u}'");
        if (PrometheusPort is < 1 or > 65535) throw new Core.ConfigurationException($"--prometheus wants a port 1 to 65535, got {PrometheusPort}");
    }
}

public static class MetricsExport
{
    public static IServiceCollection AddMetricsExport(this IServiceCollection services, MetricsExportOptions options)
    {
        if (!options.Enabled) return services;
        services.AddOpenTelemetry().WithMetrics(metrics =>
        {
            metrics.AddMeter(CortexBotMetrics.MeterName);
            if (options.Otlp is { } otlp)
                metrics.AddOtlpExporter((exporter, reader) =>
                {
                    exporter.Protocol = OtlpExportProtocol.HttpProtobuf;
                    exporter.Endpoint = new Uri(otlp, "v1/metrics");
                    reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = (int)options.ExportInterval.TotalMilliseconds;
                });
            if (options.PrometheusPort is { } port)
                metrics.AddPrometheusHttpListener(o => { o.Host = "127.0.0.1"; o.Port = port; o.ScrapeEndpointPath = "/metrics"; });
        });
        return services;
    }
}
