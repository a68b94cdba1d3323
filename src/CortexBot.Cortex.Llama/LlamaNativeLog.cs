using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LLama.Native;
using Microsoft.Extensions.Logging;

namespace CortexBot.Cortex.Llama;

/// <summary>
/// Routes llama.cpp's own log lines to a logger and keeps the most recent warnings and errors, so a failed load can say
/// why (LLamaSharp's <c>LoadWeightsFailedException</c> carries no detail). Registered once, before the native library
/// is first loaded.
/// </summary>
public static unsafe class LlamaNativeLog
{
    private const int Keep = 16;
    private static readonly object Gate = new();
    private static readonly Queue<string> Recent = new();
    private static ILogger? _logger;
    private static bool _registered;
    private static string _partial = "";
    private static LLamaLogLevel _partialLevel;
    private static bool _mtmdRegistered;

    /// <summary>
    /// Routes the multimodal library's log (mtmd and its CLIP loader, which LLamaSharp leaves on stderr) the same way, so
    /// a failed mmproj load can say why. Call after LLamaSharp has loaded its native libraries; a no-op when libmtmd
    /// is not loaded.
    /// </summary>
    public static void RegisterMtmd()
    {
        lock (Gate)
        {
            if (_mtmdRegistered) return;
            _mtmdRegistered = true;
        }
        // LLamaSharp loads libmtmd from its runtimes folder on first use (any mtmd call does); a bare soname then
        // finds that copy among the loaded libraries
        _ = NativeApi.MtmdDefaultMarker();
        if (!NativeLibrary.TryLoad("libmtmd.so", out var lib)) return;
        delegate* unmanaged[Cdecl]<int, byte*, void*, void> callback = &OnMtmdLog;
        foreach (var name in new[] { "mtmd_log_set", "mtmd_helper_log_set" })
        {
            if (NativeLibrary.TryGetExport(lib, name, out var set))
                ((delegate* unmanaged[Cdecl]<delegate* unmanaged[Cdecl]<int, byte*, void*, void>, void*, void>)set)(callback, null);
        }
    }

    // ggml_log_level: 1 debug, 2 info, 3 warn, 4 error, 5 continuation of the previous line
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnMtmdLog(int level, byte* text, void* userData)
    {
        var message = Marshal.PtrToStringUTF8((nint)text) ?? "";
        var mapped = level switch
        {
            3 => LLamaLogLevel.Warning,
            4 => LLamaLogLevel.Error,
            5 => LLamaLogLevel.Continue,
            1 => LLamaLogLevel.Debug,
            _ => LLamaLogLevel.Info,
        };
        try { OnLog(mapped, message); }
        catch (Exception) { /* an exception must not unwind into native code */ }
    }

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
            // llama.cpp writes lines in pieces; "Continue" extends the previous one and keeps its level.
            if (_partial.Length == 0 || level != LLamaLogLevel.Continue) _partialLevel = level;
            level = _partialLevel;
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
