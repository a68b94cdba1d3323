using System.Runtime.InteropServices;
using CortexBot.Core;

namespace CortexBot.Brainstem.Ros2;

/// <summary>ROS 2's naming rules for nodes (those of rmw_validate_node_name and rmw_validate_namespace).</summary>
public static class RosNames
{
    /// <summary>RMW_NODE_NAME_MAX_NAME_LENGTH.</summary>
    public const int MaxNodeNameLength = 255;

    /// <summary>Returns <paramref name="name"/> when it is a valid ROS 2 node name; throws a clear error otherwise.</summary>
    public static string ValidateNodeName(string? name, string what = "--node-name")
    {
        if (string.IsNullOrEmpty(name)) throw new ConfigurationException($"{what}: a ROS 2 node name must not be empty");
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            if (!(char.IsAsciiLetterOrDigit(c) || c == '_'))
                throw new ConfigurationException(
                    $"{what}: '{name}' is not a valid ROS 2 node name: '{c}' at position {i} (only letters, digits and '_'; no '/', the namespace is separate)");
        }
        if (char.IsAsciiDigit(name[0])) throw new ConfigurationException($"{what}: '{name}' is not a valid ROS 2 node name: it must not start with a digit");
        if (name.Length > MaxNodeNameLength)
            throw new ConfigurationException($"{what}: a ROS 2 node name may have at most {MaxNodeNameLength} characters, got {name.Length}");
        return name;
    }

    /// <summary>Returns <paramref name="ns"/> when it is a valid absolute ROS 2 namespace (<c>/</c>, <c>/a/b</c>); throws otherwise.</summary>
    public static string ValidateNamespace(string? ns, string what = "node namespace")
    {
        if (string.IsNullOrEmpty(ns) || ns[0] != '/') throw new ConfigurationException($"{what}: '{ns}' is not an absolute ROS 2 namespace (it must start with '/')");
        if (ns == "/") return ns;
        if (ns.EndsWith('/')) throw new ConfigurationException($"{what}: '{ns}' must not end with '/'");
        foreach (var token in ns[1..].Split('/'))
        {
            if (token.Length == 0) throw new ConfigurationException($"{what}: '{ns}' has an empty segment ('//')");
            if (char.IsAsciiDigit(token[0])) throw new ConfigurationException($"{what}: '{ns}' has a segment starting with a digit ('{token}')");
            if (!token.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
                throw new ConfigurationException($"{what}: '{ns}' may only hold letters, digits, '_' and '/'");
        }
        // ros_discovery_info carries namespaces as string<=256
        if (ns.Length > NodeEntitiesInfoMsg.MaxName) throw new ConfigurationException($"{what}: '{ns}' is longer than {NodeEntitiesInfoMsg.MaxName} characters");
        return ns;
    }
}

/// <summary>
/// One ROS 2 node's entry in the ROS 2 graph, as rmw_cyclonedds keeps it: a transient-local, reliable, keep-last-1 writer
/// of rmw_dds_common/ParticipantEntitiesInfo on the DDS topic <c>ros_discovery_info</c> carrying the participant's GID and,
/// for the node, its namespace, name and the GIDs (DDS GUIDs) of its readers and writers. Republished whenever an
/// endpoint is added, so a late `ros2 node list` gets the whole node from the writer's history.
/// </summary>
internal sealed unsafe class Ros2GraphEntry
{
    /// <summary>rmw_cyclonedds creates it with avoid_ros_namespace_conventions: no rt/ prefix.</summary>
    public const string Topic = "ros_discovery_info";

    private readonly int _writer;
    private readonly byte[] _participantGid;
    private readonly byte[] _name;
    private readonly byte[] _namespace;
    private readonly List<byte[]> _readers = new();
    private readonly List<byte[]> _writers = new();
    private readonly Lock _gate = new();
    private readonly bool _humble;

    /// <param name="humbleGids">Write Humble's layout (24-byte Gids: the GUID, then zeros) instead of Iron's and later (16).</param>
    public Ros2GraphEntry(int participant, int writer, string nodeName, string nodeNamespace, bool humbleGids = false)
    {
        _writer = writer;
        _humble = humbleGids;
        _participantGid = GidOf(participant);
        _name = System.Text.Encoding.UTF8.GetBytes(nodeName);
        _namespace = System.Text.Encoding.UTF8.GetBytes(nodeNamespace);
    }

    public static byte[] GidOf(int entity)
    {
        var gid = new byte[GidMsg.Size];
        fixed (byte* p = gid)
        {
            int rc = Native.Guid(entity, p);
            if (rc < 0) throw new InvalidOperationException($"Cyclone DDS could not give the GUID of entity {entity}: {Native.Describe(rc)}");
        }
        return gid;
    }

    public void AddReader(int reader) { lock (_gate) { _readers.Add(GidOf(reader)); Publish(); } }

    public void AddWriter(int writer) { lock (_gate) { _writers.Add(GidOf(writer)); Publish(); } }

    public void Publish()
    {
        lock (_gate)
        {
            // a Gid is the 16-byte GUID in its first bytes either way; Humble's is 24 bytes long, the rest zero
            int size = _humble ? sizeof(GidHumbleMsg) : sizeof(GidMsg);
            var readers = (byte*)NativeMemory.AllocZeroed((nuint)Math.Max(1, _readers.Count), (nuint)size);
            var writers = (byte*)NativeMemory.AllocZeroed((nuint)Math.Max(1, _writers.Count), (nuint)size);
            try
            {
                for (int i = 0; i < _readers.Count; i++) _readers[i].CopyTo(new Span<byte>(readers + i * size, GidMsg.Size));
                for (int i = 0; i < _writers.Count; i++) _writers[i].CopyTo(new Span<byte>(writers + i * size, GidMsg.Size));
                NodeEntitiesInfoMsg node = default;
                _namespace.CopyTo(new Span<byte>(node.NodeNamespace, NodeEntitiesInfoMsg.MaxName));
                _name.CopyTo(new Span<byte>(node.NodeName, NodeEntitiesInfoMsg.MaxName));
                node.ReaderGids = DdsSequence.Of(readers, _readers.Count);
                node.WriterGids = DdsSequence.Of(writers, _writers.Count);
                int rc;
                if (_humble)
                {
                    ParticipantEntitiesInfoHumbleMsg msg = default;
                    _participantGid.CopyTo(new Span<byte>(msg.Gid.Data, GidMsg.Size));
                    msg.Nodes = DdsSequence.Of(&node, 1);
                    rc = Native.Write(_writer, &msg);
                }
                else
                {
                    ParticipantEntitiesInfoMsg msg = default;
                    _participantGid.CopyTo(new Span<byte>(msg.Gid.Data, GidMsg.Size));
                    msg.Nodes = DdsSequence.Of(&node, 1);
                    rc = Native.Write(_writer, &msg);
                }
                if (rc < 0) throw new InvalidOperationException($"Cyclone DDS could not publish on {Topic}: {Native.Describe(rc)}");
            }
            finally
            {
                NativeMemory.Free(readers);
                NativeMemory.Free(writers);
            }
        }
    }
}
