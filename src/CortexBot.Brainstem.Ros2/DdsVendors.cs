namespace CortexBot.Brainstem.Ros2;

/// <summary>
/// DDS implementations by the RTPS vendor id in the first two bytes of a participant's GUID prefix (OMG's vendor id
/// list). ROS 2 topics interoperate across vendors, but services and actions do not: rmw_cyclonedds carries the request
/// header in the payload, other RMWs do not, so a node on another vendor's RMW never reaches CortexBot's actions.
/// </summary>
public static class DdsVendors
{
    /// <summary>Eclipse Cyclone DDS, the implementation CortexBot (and rmw_cyclonedds_cpp) runs.</summary>
    public const ushort Cyclone = 0x0110;

    private static readonly Dictionary<ushort, string> Names = new()
    {
        [0x0101] = "RTI Connext DDS",
        [0x0102] = "ADLINK OpenSplice DDS",
        [0x0103] = "OCI OpenDDS",
        [0x0104] = "MilSoft DDS",
        [0x0105] = "Kongsberg InterCOM DDS",
        [0x0106] = "Twin Oaks CoreDX DDS",
        [0x0107] = "Lakota DDS",
        [0x0108] = "ICOUP DDS",
        [0x0109] = "ETRI DDS",
        [0x010a] = "RTI Connext DDS Micro",
        [0x010b] = "ADLINK Vortex Cafe",
        [0x010c] = "PrismTech DDS",
        [0x010d] = "ADLINK Vortex Lite",
        [0x010e] = "Technicolor Qeo",
        [0x010f] = "eProsima Fast DDS",
        [0x0110] = "Eclipse Cyclone DDS",
        [0x0111] = "GurumNetworks GurumDDS",
        [0x0112] = "Atostek RustDDS",
        [0x0113] = "Zhenrong ZRDDS",
        [0x0114] = "Dust DDS",
    };

    /// <summary>The vendor id in a GUID (or GUID prefix): its first two bytes, big-endian.</summary>
    public static ushort VendorId(ReadOnlySpan<byte> guid) =>
        guid.Length < 2 ? throw new ArgumentException("a GUID prefix has at least 2 bytes", nameof(guid)) : (ushort)(guid[0] << 8 | guid[1]);

    /// <summary>The implementation's name, or null for an id not on the list (some implementations fill the prefix
    /// with host and process ids instead of their vendor id: such a participant is not classified).</summary>
    public static string? Name(ushort vendorId) => Names.GetValueOrDefault(vendorId);

    /// <summary>A participant of another known DDS implementation than Cyclone: its name; else null.</summary>
    public static string? Foreign(ReadOnlySpan<byte> guid)
    {
        ushort id = VendorId(guid);
        return id == Cyclone ? null : Name(id);
    }

    /// <summary>The warning line for a foreign vendor seen on the domain.</summary>
    public static string Warning(string vendor, int domain) =>
        $"ROS domain {domain} has participants of {vendor}, not Cyclone DDS: topics still reach them, but services and actions " +
        "(reset, FollowJointTrajectory) do not cross DDS implementations. Run every ROS 2 node with RMW_IMPLEMENTATION=rmw_cyclonedds_cpp.";
}

/// <summary>
/// Watches the builtin DCPSParticipant topic and reports, once per vendor, participants of another DDS implementation
/// (polled by the link's receiver thread; discovery of participants is rare, so a poll takes nothing most times).
/// </summary>
internal sealed unsafe class DdsVendorWatch
{
    private readonly int _reader;
    private readonly int _domain;
    private readonly Action<string>? _warn;
    private readonly byte[] _guids = new byte[16 * 64];
    private readonly HashSet<string> _foreign = [];
    private long _participants, _cyclone;

    public DdsVendorWatch(DdsParticipant dds, int domain, Action<string>? warn)
    {
        _reader = Native.ParticipantReader(dds.Handle);
        if (_reader < 0) throw new InvalidOperationException($"Cyclone DDS could not read the builtin participant topic: {Native.Describe(_reader)}");
        _domain = domain;
        _warn = warn;
    }

    /// <summary>Participants discovered so far (this one included) and how many of them are Cyclone's.</summary>
    public long Participants => Interlocked.Read(ref _participants);
    public long CycloneParticipants => Interlocked.Read(ref _cyclone);

    /// <summary>The foreign implementations found so far.</summary>
    public string[] Foreign { get { lock (_foreign) return [.. _foreign]; } }

    /// <summary>Takes newly discovered participants; warns the first time a foreign vendor shows (receiver thread).</summary>
    public void Poll()
    {
        while (true)
        {
            int n;
            fixed (byte* g = _guids) n = Native.TakeParticipants(_reader, g, _guids.Length / 16);
            if (n <= 0) return;
            for (int i = 0; i < n; i++)
            {
                var guid = _guids.AsSpan(16 * i, 16);
                Interlocked.Increment(ref _participants);
                if (DdsVendors.VendorId(guid) == DdsVendors.Cyclone) Interlocked.Increment(ref _cyclone);
                else if (DdsVendors.Foreign(guid) is { } vendor)
                {
                    bool first;
                    lock (_foreign) first = _foreign.Add(vendor);
                    if (first) _warn?.Invoke(DdsVendors.Warning(vendor, _domain));
                }
            }
            if (n < _guids.Length / 16) return;
        }
    }
}
