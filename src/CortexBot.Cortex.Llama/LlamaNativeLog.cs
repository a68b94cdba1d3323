using LLama.Native;
using Microsoft.Extensions.Logging;

namespace CortexBot.Cortex.Llama;

/// <summary>
/// Routes llama.cpp's own log lines to a logger and keeps the most recent warnings and errors, so a failed load can say
/// why (LLamaSharp's <c>LoadWeightsFailedException</c> carries no detail). Registered once, before the native library
/// is first loaded.
/// </summary>
public static class LlamaNativeLog
{
    private const int Keep = 16;
    private static readonly object Gate = new();
    private static readonly Queue<string> Recent = new();
    private static ILogger? _logger;
    private static bool _registered;
    private static string _partial = "";

    /// <summary>Registers the callback (first call only; later calls just replace the logger).</summary>
    public static void Register(ILogger? logger)
    {
        lock (Gate)
        {
            if (logger is not null) _logger = logger;
            if (_registered) return;
            _registered = true;
        }
        try
        {
            NativeLibraryConfig.All.WithLogCallback(OnLog);
        }
        catch (Exception)
        {
            // The native library was loaded already (by another component): set the callback on it directly.
            NativeLogConfig.llama_log_set(OnLog);
        }
    }

    /// <summary>The recent warnings and errors, joined, or null when there are none.</summary>
    public static string? RecentProblems()
    {
        lock (Gate) return Recent.Count == 0 ? null : string.Join(" | ", Recent);
    }

    public static void ClearRecent()
    {
        lock (Gate) Recent.Clear();
    }

    private static void OnLog(LLamaLogLevel level, string message)
    {
        string line;
        lock (Gate)
        {
            // llama.cpp writes lines in pieces; "Continue" extends the previous one.
            _partial += message;
            if (!_partial.EndsWith('\n')) return;
            line = _partial.TrimEnd();
            _partial = "";
            if (line.Length == 0) return;
            if (level is LLamaLogLevel.Warning or LLamaLogLevel.Error)
            {
                Recent.Enqueue(line);
                while (Recent.Count > Keep) Recent.Dequeue();
            }
        }
        var logger = _logger;
        if (logger is null) return;
        switch (level)
        {
            case LLamaLogLevel.Error: logger.LogError("llama.cpp: {Line}", line); break;
            case LLamaLogLevel.Warning: logger.LogWarning("llama.cpp: {Line}", line); break;
            default: logger.LogTrace("llama.cpp: {Line}", line); break;
        }
    }
}
