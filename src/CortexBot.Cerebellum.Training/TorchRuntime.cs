using CortexBot.Cerebellum.Learning;
using CortexBot.Cerebellum.Learning.Runtime;
using TorchSharp;

namespace CortexBot.Cerebellum.Training;

/// <summary>Loads TorchSharp's native library once and turns a failure into an error that names the likely cause.</summary>
public static class TorchRuntime
{
    private static readonly Lock Gate = new();
    private static bool _loaded;

    public static void EnsureLoaded()
    {
        lock (Gate)
        {
            if (_loaded) return;
            try
            {
                torch.InitializeDeviceType(DeviceType.CPU);
                _loaded = true;
            }
            catch (Exception e) when (e is TypeInitializationException or DllNotFoundException or NotSupportedException or InvalidOperationException)
            {
                var lib = Path.Combine(AppContext.BaseDirectory, "libLibTorchSharp.so");
                throw new Core.ConfigurationException(
                    $"TorchSharp's native library could not be loaded ({e.GetBaseException().Message}). On Debian 12 the build marks " +
                    $"libLibTorchSharp.so's GLIBCXX_3.4.32 requirement weak; rebuild the project, or check `ldd {lib}`.");
            }
        }
    }
}
