using System.Runtime.InteropServices;
using Cloud.Unum.USearch;

namespace CortexBot.Hippocampus.Recall;

/// <summary>
/// The C API of the USearch library that the Cloud.Unum.USearch package ships (libusearch_c). Called directly, not
/// through the package's managed wrapper, because the wrapper neither reserves capacity up front (it regrows on every
/// add, and concurrent adds need the capacity reserved) nor takes spans (it wants a fresh float[] per vector). The
/// option struct and enums are the wrapper's, so their layout and values follow the shipped native library.
/// </summary>
internal static unsafe partial class UsearchNative
{
    private const string Library = "libusearch_c";

    [LibraryImport(Library, EntryPoint = "usearch_init")] public static partial nint Init(IndexOptions* options, nint* error);
    [LibraryImport(Library, EntryPoint = "usearch_free")] public static partial void Free(nint index, nint* error);
    [LibraryImport(Library, EntryPoint = "usearch_size")] public static partial nuint Size(nint index, nint* error);
    [LibraryImport(Library, EntryPoint = "usearch_capacity")] public static partial nuint Capacity(nint index, nint* error);
    [LibraryImport(Library, EntryPoint = "usearch_reserve")] public static partial void Reserve(nint index, nuint capacity, nint* error);
    [LibraryImport(Library, EntryPoint = "usearch_change_threads_add")] public static partial void ThreadsAdd(nint index, nuint threads, nint* error);
    [LibraryImport(Library, EntryPoint = "usearch_change_threads_search")] public static partial void ThreadsSearch(nint index, nuint threads, nint* error);
    [LibraryImport(Library, EntryPoint = "usearch_change_expansion_search")] public static partial void ExpansionSearch(nint index, nuint expansion, nint* error);
    [LibraryImport(Library, EntryPoint = "usearch_add")] public static partial void Add(nint index, ulong key, float* vector, ScalarKind kind, nint* error);
    [LibraryImport(Library, EntryPoint = "usearch_contains")] [return: MarshalAs(UnmanagedType.U1)] public static partial bool Contains(nint index, ulong key, nint* error);
    [LibraryImport(Library, EntryPoint = "usearch_remove")] public static partial nuint Remove(nint index, ulong key, nint* error);
    [LibraryImport(Library, EntryPoint = "usearch_search")]
    public static partial nuint Search(nint index, float* query, ScalarKind kind, nuint count, ulong* keys, float* distances, nint* error);
    [LibraryImport(Library, EntryPoint = "usearch_dimensions")] public static partial nuint Dimensions(nint index, nint* error);
    [LibraryImport(Library, EntryPoint = "usearch_connectivity")] public static partial nuint Connectivity(nint index, nint* error);
    [LibraryImport(Library, EntryPoint = "usearch_change_expansion_add")] public static partial void ExpansionAdd(nint index, nuint expansion, nint* error);
    [LibraryImport(Library, EntryPoint = "usearch_save", StringMarshalling = StringMarshalling.Utf8)] public static partial void Save(nint index, string path, nint* error);
    [LibraryImport(Library, EntryPoint = "usearch_load", StringMarshalling = StringMarshalling.Utf8)] public static partial void Load(nint index, string path, nint* error);
    [LibraryImport(Library, EntryPoint = "usearch_version")] public static partial byte* Version();

    /// <summary>Throws when the native call reported an error (a static C string owned by the library).</summary>
    public static void Check(nint error, string what)
    {
        if (error != 0)
            throw new InvalidOperationException($"USearch could not {what}: {Marshal.PtrToStringUTF8(error)}");
    }
}
