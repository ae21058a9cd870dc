#!/usr/bin/python3
# Golden frames for dev.gingham.packet.header tests.
# Run with the Debian python3 (scapy 2.5), not a pyenv one:
#   /usr/bin/python3 golden-frames.py           dissection of every frame (the asserted values)
#   /usr/bin/python3 golden-frames.py --java    GoldenFrames.java
import sys
from scapy.all import (Ether, Dot1Q, Dot1AD, ARP, IP, IPOption_RR, IPOption_NOP, UDP, TCP,
                       ICMP, IPv6, IPv6ExtHdrHopByHop, IPv6ExtHdrRouting, IPv6ExtHdrFragment,
                       IPv6ExtHdrDestOpt, RouterAlert, PadN, ICMPv6PacketTooBig,
                       ICMPv6EchoRequest, ICMPv6EchoReply, ICMPv6ND_NS, ICMPv6ND_NA,
                       ICMPv6NDOptSrcLLAddr, ICMPv6NDOptDstLLAddr, ICMPv6ND_RS, Raw)
from scapy.layers.ipsec import AH
from scapy.layers.vxlan import VXLAN
from scapy.contrib.geneve import GENEVE, GeneveOptions

M1, M2 = "02:00:00:00:00:01", "02:00:00:00:00:02"

FRAMES = {
    "ETH_VLAN_UDP": 'Ether(dst="02:00:00:00:00:02", src="02:00:00:00:00:01")/Dot1Q(prio=5, id=1, vlan=100)'
                    '/IP(src="10.0.0.1", dst="10.0.0.2", id=1)/UDP(sport=1234, dport=9999)/b"hi"',
    "ETH_QINQ": 'Ether(dst="02:00:00:00:00:02", src="02:00:00:00:00:01", type=0x88a8)/Dot1AD(prio=3, vlan=300)'
                '/Dot1Q(vlan=42)/IP(src="10.0.0.1", dst="10.0.0.2", id=1)/UDP(sport=1, dport=2)',
    "ARP_REQUEST": 'Ether(dst="ff:ff:ff:ff:ff:ff", src="02:00:00:00:00:01")/ARP(op=1, hwsrc="02:00:00:00:00:01",'
                   ' psrc="10.0.0.1", hwdst="00:00:00:00:00:00", pdst="10.0.0.254")',
    "ARP_REPLY": 'Ether(dst="02:00:00:00:00:01", src="0a:1b:2c:3d:4e:5f")/ARP(op=2, hwsrc="0a:1b:2c:3d:4e:5f",'
                 ' psrc="10.0.0.254", hwdst="02:00:00:00:00:01", pdst="10.0.0.1")',
    "IPV4_OPTIONS": 'IP(src="192.168.1.10", dst="172.16.0.1", tos=0xb9, id=0xbeef, ttl=17,'
                    ' options=[IPOption_NOP(), IPOption_RR(pointer=8, routers=["1.2.3.4", "0.0.0.0"]), IPOption_NOP(), IPOption_NOP(), IPOption_NOP()])'
                    '/ICMP(type=8, id=0x1234, seq=7)/b"odd"',
    "IPV4_FRAGMENT": 'IP(src="10.1.2.3", dst="10.4.5.6", id=0x1234, flags="DF+MF", frag=185, ttl=64, proto=17)/Raw(b"0123456789abcdef")',
    "IPV4_LAST_FRAGMENT": 'IP(src="10.1.2.3", dst="10.4.5.6", id=0x1234, flags="MF", frag=8191, ttl=1, proto=17)/Raw(b"x")',
    "IPV6_CHAIN": 'IPv6(src="2001:db8::1", dst="2001:db8:0:0:1::2", tc=0xb9, fl=0xabcde, hlim=64)'
                  '/IPv6ExtHdrHopByHop(nh=43, options=[RouterAlert(value=0)])'
                  '/IPv6ExtHdrRouting(nh=44, type=0, segleft=1, addresses=["2001:db8::3"])'
                  '/IPv6ExtHdrFragment(nh=51, offset=100, m=1, id=0xdeadbeef)'
                  '/AH(nh=60, payloadlen=4, reserved=0, spi=0x11223344, seq=5, icv=b"\\xaa"*12)'
                  '/IPv6ExtHdrDestOpt(nh=17, options=[PadN(optdata=b"\\x00\\x00\\x00\\x00")])'
                  '/UDP(sport=5000, dport=6000)/b"payload"',
    "TCP_SYN_OPTIONS": 'IP(src="10.0.0.1", dst="10.0.0.2", id=2, flags="DF")/TCP(sport=40000, dport=443, seq=0x01020304,'
                       ' ack=0, flags="SEC", window=64240, options=[("MSS", 1460), ("SAckOK", b""),'
                       ' ("Timestamp", (123456789, 0)), ("NOP", None), ("WScale", 7)])',
    "TCP_DATA_URG": 'IP(src="10.0.0.2", dst="10.0.0.1", id=3)/TCP(sport=443, dport=40000, seq=0xfedcba98, ack=0xa0b0c0d0,'
                    ' flags="FPAU", window=512, urgptr=5)/b"hello"',
    "TCP_OPT_MSS_ODD": 'IP(src="10.0.0.1", dst="10.0.0.2", id=10)/TCP(sport=1000, dport=2000, flags="S", dataofs=7)/b"\\x01\\x02\\x04\\x05\\xb4\\x00\\x00\\x00"',
    "TCP_OPT_LEN0": 'IP(src="10.0.0.1", dst="10.0.0.2", id=11)/TCP(sport=1000, dport=2000, flags="S", dataofs=6)/b"\\x02\\x00\\x05\\xb4"',
    "TCP_OPT_LEN1": 'IP(src="10.0.0.1", dst="10.0.0.2", id=12)/TCP(sport=1000, dport=2000, flags="S", dataofs=7)/b"\\x01\\x08\\x01\\x02\\x04\\x05\\xb4\\x00"',
    "TCP_OPT_PAST_END": 'IP(src="10.0.0.1", dst="10.0.0.2", id=13)/TCP(sport=1000, dport=2000, flags="S", dataofs=7)/b"\\x02\\x04\\x05\\xb4\\x01\\x01\\x03\\x05"',
    "TCP_OPT_MSS_TRUNCATED": 'IP(src="10.0.0.1", dst="10.0.0.2", id=14)/TCP(sport=1000, dport=2000, flags="S", dataofs=6)/b"\\x01\\x01\\x02\\x04"',
    "TCP_OPT_KIND_AT_END": 'IP(src="10.0.0.1", dst="10.0.0.2", id=15)/TCP(sport=1000, dport=2000, flags="S", dataofs=6)/b"\\x01\\x01\\x01\\x02"',
    "TCP_OPT_MSS_BAD_LENGTH": 'IP(src="10.0.0.1", dst="10.0.0.2", id=16)/TCP(sport=1000, dport=2000, flags="S", dataofs=6)/b"\\x02\\x03\\x05\\x00"',
    "TCP_OPT_EOL_BEFORE_MSS": 'IP(src="10.0.0.1", dst="10.0.0.2", id=17)/TCP(sport=1000, dport=2000, flags="S", dataofs=7)/b"\\x01\\x00\\x00\\x00\\x02\\x04\\x05\\xb4"',
    "TCP_OPT_PAST_END_BEFORE_MSS": 'IP(src="10.0.0.1", dst="10.0.0.2", id=18)/TCP(sport=1000, dport=2000, flags="S", dataofs=7)/b"\\x01\\x03\\x08\\x02\\x04\\x05\\xb4\\x00"',
    "ICMP_ECHO": 'IP(src="10.0.0.1", dst="10.0.0.2", id=4)/ICMP(type=8, id=0x1234, seq=7)/b"ping"',
    "ICMP_FRAG_NEEDED": 'IP(src="10.0.0.254", dst="10.0.0.1", id=5)/ICMP(type=3, code=4, nexthopmtu=1450)'
                        '/IP(src="10.0.0.1", dst="10.9.9.9", id=0x4321, flags="DF", len=1500)/UDP(sport=1111, dport=2222, len=1480)',
    "ICMP6_PTB": 'IPv6(src="2001:db8::fe", dst="2001:db8::1", hlim=255)/ICMPv6PacketTooBig(mtu=1450)'
                 '/IPv6(src="2001:db8::1", dst="2001:db8:1::9", plen=1452)/UDP(sport=1111, dport=2222, len=1452)',
    "ICMP6_ECHO": 'IPv6(src="fe80::1", dst="ff02::1")/ICMPv6EchoRequest(id=0x4242, seq=9, data=b"abc")',
    "ICMP6_NS": 'IPv6(src="2001:db8::1", dst="ff02::1:ff00:99", hlim=255)/ICMPv6ND_NS(tgt="2001:db8::99")'
                '/ICMPv6NDOptSrcLLAddr(lladdr="02:00:00:00:00:01")',
    "ICMP6_NA": 'IPv6(src="2001:db8::99", dst="2001:db8::1", hlim=255)/ICMPv6ND_NA(R=1, S=1, O=0, tgt="2001:db8::99")'
                '/ICMPv6NDOptDstLLAddr(lladdr="02:00:00:00:00:99")',
    "ICMP6_NS_DAD": 'Ether(dst="33:33:ff:00:00:99", src="02:00:00:00:00:01")/IPv6(src="::", dst="ff02::1:ff00:99", hlim=255)'
                    '/ICMPv6ND_NS(tgt="2001:db8::99")',
    "ICMP6_NS_UNICAST": 'Ether(dst="02:00:00:00:00:02", src="02:00:00:00:00:01")/IPv6(src="fe80::1", dst="2001:db8::99", hlim=255)'
                        '/ICMPv6ND_NS(tgt="2001:db8::99")',
    "ICMP6_RS": 'Ether(dst="33:33:00:00:00:02", src="02:00:00:00:00:01")/IPv6(src="fe80::1", dst="ff02::2", hlim=255)'
                '/ICMPv6ND_RS()/ICMPv6NDOptSrcLLAddr(lladdr="02:00:00:00:00:01")',
    "VXLAN": 'Ether(dst="02:00:00:00:00:02", src="02:00:00:00:00:01")/IP(src="192.168.0.1", dst="192.168.0.2", id=6)'
             '/UDP(sport=54321, dport=4789)/VXLAN(flags=0x08, vni=0xabcdef)'
             '/Ether(dst="0a:00:00:00:00:02", src="0a:00:00:00:00:01")/IP(src="10.0.1.1", dst="10.0.2.2", id=7)/ICMP(type=8, id=1, seq=1)',
    "GENEVE": 'IP(src="192.168.0.1", dst="192.168.0.2", id=8)/UDP(sport=54321, dport=6081)'
              '/GENEVE(version=0, oam=1, critical=1, proto=0x6558, vni=0x123456, options=['
              'GeneveOptions(classid=0x0102, type=0x80, data=b"\\x01\\x02\\x03\\x04"),'
              ' GeneveOptions(classid=0xffff, type=0x05, data=b"\\xa1\\xa2\\xa3\\xa4\\xb1\\xb2\\xb3\\xb4")])'
              '/Ether(dst="0a:00:00:00:00:02", src="0a:00:00:00:00:01")/IP(src="10.0.1.1", dst="10.0.2.2", id=9)/UDP(sport=7, dport=7)',
}

JAVA_HEADER = """package dev.gingham.packet.header;

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
"""


def java():
    out = [JAVA_HEADER]
    for name, expr in FRAMES.items():
        raw = bytes(eval(expr)).hex()
        body = "\n".join("            " + raw[i:i + 64] for i in range(0, len(raw), 64))
        out.append('\n    /** %d bytes. scapy: {@code %s} */\n    public static final String %s = """\n%s\n            """;\n'
                   % (len(raw) // 2, expr, name, body))
    out.append("}\n")
    sys.stdout.write("".join(out))


def dump():
    for name, expr in FRAMES.items():
        pkt = eval(expr)
        raw = bytes(pkt)
        print("=== " + name)
        print("# scapy: " + expr)
        print("len=%d" % len(raw))
        print(raw.hex())
        pkt.__class__(raw).show2()


if __name__ == "__main__":
    java() if "--java" in sys.argv else dump()
