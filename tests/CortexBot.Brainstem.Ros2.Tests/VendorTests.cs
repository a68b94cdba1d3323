namespace CortexBot.Brainstem.Ros2.Tests;

/// <summary>
/// Participants of another DDS implementation on the domain are warned about once per vendor. Only Cyclone DDS runs
/// here, so the wire test sees Cyclone participants (no warning); the classification of other vendors is tested on
/// GUID prefixes as Fast DDS and Connext write them.
/// </summary>
public sealed class VendorTests
{
    [Fact]
    public void Cyclone_participants_on_the_domain_raise_no_warning()
    {
        int d = TestBus.NewDomain();
        var warnings = new List<string>();
        using var peer = new FakeRobot(d);
        using var link = new Ros2RobotLink(Ros2Defaults.Arm, TestBus.Options(d), warn: w => { lock (warnings) warnings.Add(w); });
        // the link's own participant and the peer's: both discovered, both Cyclone's vendor id in their GUID prefix
        TestBus.WaitUntil(() => link.DomainVendors.Cyclone >= 2, "both participants to be discovered");
        Thread.Sleep(300);
        var (participants, cyclone, foreign) = link.DomainVendors;
        Assert.Equal(participants, cyclone);
        Assert.Empty(foreign);
        lock (warnings) Assert.Empty(warnings);
    }

    [Fact]
    public void Guid_prefixes_name_their_vendor_and_only_known_foreign_ones_are_foreign()
    {
        byte[] cyclone = [0x01, 0x10, 0x5a, 0x3c, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0xc1];
        byte[] fastDds = [0x01, 0x0f, 0x44, 0x12, 0x9b, 0x2c, 0, 0, 0x01, 0, 0, 0, 0, 0, 1, 0xc1];
        byte[] connext = [0x01, 0x01, 0xa8, 0xc0, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0, 0, 1, 0xc1];
        byte[] unknown = [0xc0, 0xa8, 0x01, 0x02, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0, 0, 1, 0xc1];
        Assert.Equal(DdsVendors.Cyclone, DdsVendors.VendorId(cyclone));
        Assert.Null(DdsVendors.Foreign(cyclone));
        Assert.Equal("eProsima Fast DDS", DdsVendors.Foreign(fastDds));
        Assert.Equal("RTI Connext DDS", DdsVendors.Foreign(connext));
        Assert.Equal(0xc0a8, DdsVendors.VendorId(unknown));
        Assert.Null(DdsVendors.Foreign(unknown)); // not on OMG's list: not classified, not warned about
        var w = DdsVendors.Warning("eProsima Fast DDS", 7);
        Assert.Contains("eProsima Fast DDS", w, StringComparison.Ordinal);
        Assert.Contains("RMW_IMPLEMENTATION=rmw_cyclonedds_cpp", w, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', w);
    }
}
