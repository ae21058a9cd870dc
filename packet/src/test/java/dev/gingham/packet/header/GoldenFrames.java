package dev.gingham.packet.header;

/**
 * Golden frames built by scapy 2.5 (an independent implementation), as hex.
 *
 * <p>Each constant names the scapy expression that produced it. This file is generated: run
 * {@code /usr/bin/python3 golden-frames.py --java > GoldenFrames.java} in this directory (Debian's
 * python3-scapy; without {@code --java} the script prints scapy's own dissection of each frame,
 * the values the tests assert). Bytes are network order, exactly as on the wire; a text block's
 * line breaks are ignored by {@link Frame#of(String)}. Public so that other packages (the parser)
 * can use the same frames through the test-jar.
 */
public final class GoldenFrames {
    private GoldenFrames() {
    }

    /** 48 bytes. scapy: {@code Ether(dst="02:00:00:00:00:02", src="02:00:00:00:00:01")/Dot1Q(prio=5, id=1, vlan=100)/IP(src="10.0.0.1", dst="10.0.0.2", id=1)/UDP(sport=1234, dport=9999)/b"hi"} */
    public static final String ETH_VLAN_UDP = """
            0200000000020200000000018100b06408004500001e00010000401166cc0a00
            00010a00000204d2270f000a578d6869
            """;

    /** 50 bytes. scapy: {@code Ether(dst="02:00:00:00:00:02", src="02:00:00:00:00:01", type=0x88a8)/Dot1AD(prio=3, vlan=300)/Dot1Q(vlan=42)/IP(src="10.0.0.1", dst="10.0.0.2", id=1)/UDP(sport=1, dport=2)} */
    public static final String ETH_QINQ = """
            02000000000202000000000188a8612c8100002a08004500001c000100004011
            66ce0a0000010a000002000100020008ebd8
            """;

    /** 42 bytes. scapy: {@code Ether(dst="ff:ff:ff:ff:ff:ff", src="02:00:00:00:00:01")/ARP(op=1, hwsrc="02:00:00:00:00:01", psrc="10.0.0.1", hwdst="00:00:00:00:00:00", pdst="10.0.0.254")} */
    public static final String ARP_REQUEST = """
            ffffffffffff020000000001080600010800060400010200000000010a000001
            0000000000000a0000fe
            """;

    /** 42 bytes. scapy: {@code Ether(dst="02:00:00:00:00:01", src="0a:1b:2c:3d:4e:5f")/ARP(op=2, hwsrc="0a:1b:2c:3d:4e:5f", psrc="10.0.0.254", hwdst="02:00:00:00:00:01", pdst="10.0.0.1")} */
    public static final String ARP_REPLY = """
            0200000000010a1b2c3d4e5f080600010800060400020a1b2c3d4e5f0a0000fe
            0200000000010a000001
            """;

    /** 47 bytes. scapy: {@code IP(src="192.168.1.10", dst="172.16.0.1", tos=0xb9, id=0xbeef, ttl=17, options=[IPOption_NOP(), IPOption_RR(pointer=8, routers=["1.2.3.4", "0.0.0.0"]), IPOption_NOP(), IPOption_NOP(), IPOption_NOP()])/ICMP(type=8, id=0x1234, seq=7)/b"odd"} */
    public static final String IPV4_OPTIONS = """
            49b9002fbeef00001101664cc0a8010aac10000101070b080102030400000000
            0101010008001260123400076f6464
            """;

    /** 36 bytes. scapy: {@code IP(src="10.1.2.3", dst="10.4.5.6", id=0x1234, flags="DF+MF", frag=185, ttl=64, proto=17)/Raw(b"0123456789abcdef")} */
    public static final String IPV4_FRAGMENT = """
            45000024123460b94011ecce0a0102030a040506303132333435363738396162
            63646566
            """;

    /** 21 bytes. scapy: {@code IP(src="10.1.2.3", dst="10.4.5.6", id=0x1234, flags="MF", frag=8191, ttl=1, proto=17)/Raw(b"x")} */
    public static final String IPV4_LAST_FRAGMENT = """
            4500001512343fff01114c980a0102030a04050678
            """;

    /** 127 bytes. scapy: {@code IPv6(src="2001:db8::1", dst="2001:db8:0:0:1::2", tc=0xb9, fl=0xabcde, hlim=64)/IPv6ExtHdrHopByHop(nh=43, options=[RouterAlert(value=0)])/IPv6ExtHdrRouting(nh=44, type=0, segleft=1, addresses=["2001:db8::3"])/IPv6ExtHdrFragment(nh=51, offset=100, m=1, id=0xdeadbeef)/AH(nh=60, payloadlen=4, reserved=0, spi=0x11223344, seq=5, icv=b"\xaa"*12)/IPv6ExtHdrDestOpt(nh=17, options=[PadN(optdata=b"\x00\x00\x00\x00")])/UDP(sport=5000, dport=6000)/b"payload"} */
    public static final String IPV6_CHAIN = """
            6b9abcde0057004020010db800000000000000000000000120010db800000000
            00010000000000022b000502000001002c0200010000000020010db800000000
            000000000000000333000321deadbeef3c0400001122334400000005aaaaaaaa
            aaaaaaaaaaaaaaaa110001040000000013881770000fbc327061796c6f6164
            """;

    /** 60 bytes. scapy: {@code IP(src="10.0.0.1", dst="10.0.0.2", id=2, flags="DF")/TCP(sport=40000, dport=443, seq=0x01020304, ack=0, flags="SEC", window=64240, options=[("MSS", 1460), ("SAckOK", b""), ("Timestamp", (123456789, 0)), ("NOP", None), ("WScale", 7)])} */
    public static final String TCP_SYN_OPTIONS = """
            4500003c00024000400626b80a0000010a0000029c4001bb0102030400000000
            a0c2faf0c1da0000020405b40402080a075bcd150000000001030307
            """;

    /** 45 bytes. scapy: {@code IP(src="10.0.0.2", dst="10.0.0.1", id=3)/TCP(sport=443, dport=40000, seq=0xfedcba98, ack=0xa0b0c0d0, flags="FPAU", window=512, urgptr=5)/b"hello"} */
    public static final String TCP_DATA_URG = """
            4500002d00030000400666c60a0000020a00000101bb9c40fedcba98a0b0c0d0
            503902009cda000568656c6c6f
            """;

    /** 48 bytes. scapy: {@code IP(src="10.0.0.1", dst="10.0.0.2", id=10)/TCP(sport=1000, dport=2000, flags="S", dataofs=7)/b"\x01\x02\x04\x05\xb4\x00\x00\x00"} */
    public static final String TCP_OPT_MSS_ODD = """
            45000030000a0000400666bc0a0000010a00000203e807d00000000000000000
            700220009718000001020405b4000000
            """;

    /** 44 bytes. scapy: {@code IP(src="10.0.0.1", dst="10.0.0.2", id=11)/TCP(sport=1000, dport=2000, flags="S", dataofs=6)/b"\x02\x00\x05\xb4"} */
    public static final String TCP_OPT_LEN0 = """
            4500002c000b0000400666bf0a0000010a00000203e807d00000000000000000
            6002200058700000020005b4
            """;

    /** 48 bytes. scapy: {@code IP(src="10.0.0.1", dst="10.0.0.2", id=12)/TCP(sport=1000, dport=2000, flags="S", dataofs=7)/b"\x01\x08\x01\x02\x04\x05\xb4\x00"} */
    public static final String TCP_OPT_LEN1 = """
            45000030000c0000400666ba0a0000010a00000203e807d00000000000000000
            7002200096100000010801020405b400
            """;

    /** 48 bytes. scapy: {@code IP(src="10.0.0.1", dst="10.0.0.2", id=13)/TCP(sport=1000, dport=2000, flags="S", dataofs=7)/b"\x02\x04\x05\xb4\x01\x01\x03\x05"} */
    public static final String TCP_OPT_PAST_END = """
            45000030000d0000400666b90a0000010a00000203e807d00000000000000000
            7002200044620000020405b401010305
            """;

    /** 44 bytes. scapy: {@code IP(src="10.0.0.1", dst="10.0.0.2", id=14)/TCP(sport=1000, dport=2000, flags="S", dataofs=6)/b"\x01\x01\x02\x04"} */
    public static final String TCP_OPT_MSS_TRUNCATED = """
            4500002c000e0000400666bc0a0000010a00000203e807d00000000000000000
            600220005d1f000001010204
            """;

    /** 44 bytes. scapy: {@code IP(src="10.0.0.1", dst="10.0.0.2", id=15)/TCP(sport=1000, dport=2000, flags="S", dataofs=6)/b"\x01\x01\x01\x02"} */
    public static final String TCP_OPT_KIND_AT_END = """
            4500002c000f0000400666bb0a0000010a00000203e807d00000000000000000
            600220005e21000001010102
            """;

    /** 44 bytes. scapy: {@code IP(src="10.0.0.1", dst="10.0.0.2", id=16)/TCP(sport=1000, dport=2000, flags="S", dataofs=6)/b"\x02\x03\x05\x00"} */
    public static final String TCP_OPT_MSS_BAD_LENGTH = """
            4500002c00100000400666ba0a0000010a00000203e807d00000000000000000
            600220005921000002030500
            """;

    /** 48 bytes. scapy: {@code IP(src="10.0.0.1", dst="10.0.0.2", id=17)/TCP(sport=1000, dport=2000, flags="S", dataofs=7)/b"\x01\x00\x00\x00\x02\x04\x05\xb4"} */
    public static final String TCP_OPT_EOL_BEFORE_MSS = """
            4500003000110000400666b50a0000010a00000203e807d00000000000000000
            700220004768000001000000020405b4
            """;

    /** 48 bytes. scapy: {@code IP(src="10.0.0.1", dst="10.0.0.2", id=18)/TCP(sport=1000, dport=2000, flags="S", dataofs=7)/b"\x01\x03\x08\x02\x04\x05\xb4\x00"} */
    public static final String TCP_OPT_PAST_END_BEFORE_MSS = """
            4500003000120000400666b40a0000010a00000203e807d00000000000000000
            700220008f150000010308020405b400
            """;

    /** 32 bytes. scapy: {@code IP(src="10.0.0.1", dst="10.0.0.2", id=4)/ICMP(type=8, id=0x1234, seq=7)/b"ping"} */
    public static final String ICMP_ECHO = """
            4500002000040000400166d70a0000010a000002080006f41234000770696e67
            """;

    /** 56 bytes. scapy: {@code IP(src="10.0.0.254", dst="10.0.0.1", id=5)/ICMP(type=3, code=4, nexthopmtu=1450)/IP(src="10.0.0.1", dst="10.9.9.9", id=0x4321, flags="DF", len=1500)/UDP(sport=1111, dport=2222, len=1480)} */
    public static final String ICMP_FRAG_NEEDED = """
            4500003800050000400165c20a0000fe0a00000103041a3e000005aa450005dc
            432140004011d4dd0a0000010a090909045708ae05c8ca46
            """;

    /** 96 bytes. scapy: {@code IPv6(src="2001:db8::fe", dst="2001:db8::1", hlim=255)/ICMPv6PacketTooBig(mtu=1450)/IPv6(src="2001:db8::1", dst="2001:db8:1::9", plen=1452)/UDP(sport=1111, dport=2222, len=1452)} */
    public static final String ICMP6_PTB = """
            6000000000383aff20010db80000000000000000000000fe20010db800000000
            00000000000000010200249f000005aa6000000005ac114020010db800000000
            000000000000000120010db8000100000000000000000009045708ae05ac91b8
            """;

    /** 51 bytes. scapy: {@code IPv6(src="fe80::1", dst="ff02::1")/ICMPv6EchoRequest(id=0x4242, seq=9, data=b"abc")} */
    public static final String ICMP6_ECHO = """
            60000000000b3a40fe800000000000000000000000000001ff02000000000000
            000000000000000180007b8642420009616263
            """;

    /** 72 bytes. scapy: {@code IPv6(src="2001:db8::1", dst="ff02::1:ff00:99", hlim=255)/ICMPv6ND_NS(tgt="2001:db8::99")/ICMPv6NDOptSrcLLAddr(lladdr="02:00:00:00:00:01")} */
    public static final String ICMP6_NS = """
            6000000000203aff20010db8000000000000000000000001ff02000000000000
            00000001ff00009987001af90000000020010db8000000000000000000000099
            0101020000000001
            """;

    /** 72 bytes. scapy: {@code IPv6(src="2001:db8::99", dst="2001:db8::1", hlim=255)/ICMPv6ND_NA(R=1, S=1, O=0, tgt="2001:db8::99")/ICMPv6NDOptDstLLAddr(lladdr="02:00:00:00:00:99")} */
    public static final String ICMP6_NA = """
            6000000000203aff20010db800000000000000000000009920010db800000000
            0000000000000001880028acc000000020010db8000000000000000000000099
            0201020000000099
            """;

    /** 78 bytes. scapy: {@code Ether(dst="33:33:ff:00:00:99", src="02:00:00:00:00:01")/IPv6(src="::", dst="ff02::1:ff00:99", hlim=255)/ICMPv6ND_NS(tgt="2001:db8::99")} */
    public static final String ICMP6_NS_DAD = """
            3333ff00009902000000000186dd6000000000183aff00000000000000000000
            000000000000ff0200000000000000000001ff00009987004bbd000000002001
            0db8000000000000000000000099
            """;

    /** 78 bytes. scapy: {@code Ether(dst="02:00:00:00:00:02", src="02:00:00:00:00:01")/IPv6(src="fe80::1", dst="2001:db8::99", hlim=255)/ICMPv6ND_NS(tgt="2001:db8::99")} */
    public static final String ICMP6_NS_UNICAST = """
            02000000000202000000000186dd6000000000183afffe800000000000000000
            00000000000120010db800000000000000000000009987001d87000000002001
            0db8000000000000000000000099
            """;

    /** 70 bytes. scapy: {@code Ether(dst="33:33:00:00:00:02", src="02:00:00:00:00:01")/IPv6(src="fe80::1", dst="ff02::2", hlim=255)/ICMPv6ND_RS()/ICMPv6NDOptSrcLLAddr(lladdr="02:00:00:00:00:01")} */
    public static final String ICMP6_RS = """
            33330000000202000000000186dd6000000000103afffe800000000000000000
            000000000001ff02000000000000000000000000000285007a2c000000000101
            020000000001
            """;

    /** 92 bytes. scapy: {@code Ether(dst="02:00:00:00:00:02", src="02:00:00:00:00:01")/IP(src="192.168.0.1", dst="192.168.0.2", id=6)/UDP(sport=54321, dport=4789)/VXLAN(flags=0x08, vni=0xabcdef)/Ether(dst="0a:00:00:00:00:02", src="0a:00:00:00:00:01")/IP(src="10.0.1.1", dst="10.0.2.2", id=7)/ICMP(type=8, id=1, seq=1)} */
    public static final String VXLAN = """
            02000000000202000000000108004500004e000600004011f945c0a80001c0a8
            0002d43112b5003ad86d08000000abcdef000a00000000020a00000000010800
            4500001c00070000400163d80a0001010a0002020800f7fd00010001
            """;

    /** 98 bytes. scapy: {@code IP(src="192.168.0.1", dst="192.168.0.2", id=8)/UDP(sport=54321, dport=6081)/GENEVE(version=0, oam=1, critical=1, proto=0x6558, vni=0x123456, options=[GeneveOptions(classid=0x0102, type=0x80, data=b"\x01\x02\x03\x04"), GeneveOptions(classid=0xffff, type=0x05, data=b"\xa1\xa2\xa3\xa4\xb1\xb2\xb3\xb4")])/Ether(dst="0a:00:00:00:00:02", src="0a:00:00:00:00:01")/IP(src="10.0.1.1", dst="10.0.2.2", id=9)/UDP(sport=7, dport=7)} */
    public static final String GENEVE = """
            45000062000800004011f92fc0a80001c0a80002d43117c1004e851d05c06558
            123456000102800101020304ffff0502a1a2a3a4b1b2b3b40a00000000020a00
            0000000108004500001c00090000401163c60a0001010a000202000700070008
            e8cd
            """;
}
