#!/usr/bin/env python3
"""Writes the fuzz seeds for fuzz_proxy_protocol: the headers of
tests/unit/protocol/proxy_protocol_test.cpp, valid and invalid, one file each.

Run from anywhere: python3 tests/fuzz/corpus/proxy_protocol/generate_seeds.py
"""
import pathlib
import struct

HERE = pathlib.Path(__file__).resolve().parent
SIG = bytes([0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A])


def v2(ver_cmd, family, body):
    return SIG + bytes([ver_cmd, family]) + struct.pack(">H", len(body)) + body


def tlv(kind, value):
    return bytes([kind]) + struct.pack(">H", len(value)) + value


IPV4 = bytes([192, 0, 2, 10, 10, 128, 0, 5]) + struct.pack(">HH", 51234, 9092)
IPV6 = (bytes.fromhex("20010db8000000000000000000000001") +
        bytes.fromhex("fd000000000000000000000000000005") + struct.pack(">HH", 40000, 9093))
PSC = tlv(0xE0, bytes.fromhex("ffffffffc0a86402"))
SSL = tlv(0x20, bytes([0x07]) + struct.pack(">I", 0) + tlv(0x21, b"TLSv1.3") +
          tlv(0x22, b"client.example"))
KAFKA = struct.pack(">ihhi", 18, 18, 3, 1) + struct.pack(">h", 7) + b"rdkafka" + b"\x00"

SEEDS = {
    # valid
    "v1_tcp4": b"PROXY TCP4 192.0.2.10 10.128.0.5 51234 9092\r\n",
    "v1_tcp6": b"PROXY TCP6 2001:DB8:0:0::1 fd00::5 0 65535\r\n",
    "v1_unknown": b"PROXY UNKNOWN\r\n",
    "v1_unknown_longest": b"PROXY UNKNOWN " + b"x" * 91 + b"\r\n",
    "v1_tcp4_then_kafka": b"PROXY TCP4 192.0.2.10 10.128.0.5 51234 9092\r\n" + KAFKA,
    "v2_ipv4": v2(0x21, 0x11, IPV4),
    "v2_ipv6_psc": v2(0x21, 0x21, IPV6 + PSC),
    "v2_local": v2(0x20, 0x00, b""),
    "v2_local_junk": v2(0x20, 0x31, b"junk that is not a TLV"),
    "v2_unspec": v2(0x21, 0x00, b"opaque"),
    "v2_psc": v2(0x21, 0x11, IPV4 + PSC),
    "v2_alpn": v2(0x21, 0x11, IPV4 + tlv(0x01, b"kafka")),
    "v2_unknown_tlv": v2(0x21, 0x11, IPV4 + tlv(0xEA, b"\x01vpce-0123")),
    "v2_several_tlvs": v2(0x21, 0x11, IPV4 + tlv(0x01, b"h2") + tlv(0x02, b"kafka.example") +
                          SSL + PSC + tlv(0xEE, b"x")),
    "v2_psc_then_kafka": v2(0x21, 0x11, IPV4 + PSC) + KAFKA,
    # invalid
    "bad_v1_port": b"PROXY TCP4 1.2.3.4 5.6.7.8 99999 9092\r\n",
    "bad_v1_too_long": b"PROXY UNKNOWN " + b"x" * 92 + b"\r\n",
    "bad_v2_psc_length": v2(0x21, 0x11, IPV4 + tlv(0xE0, b"\xff\xff\xff")),
    "bad_v2_duplicate_psc": v2(0x21, 0x11, IPV4 + PSC + PSC),
    "bad_v2_truncated_tlv": v2(0x21, 0x11, IPV4 + tlv(0x01, b"h2") + b"\x01\x00"),
    "bad_v2_tlv_past_end": v2(0x21, 0x11, IPV4 + b"\x01\x00\x06kafka"),
    "bad_v2_ssl_nested": v2(0x21, 0x11, IPV4 + tlv(0x20, b"\x00" + bytes(4) + b"\x21\x00\x09TLS")),
    "bad_v2_version": SIG + bytes([0x11, 0x11]) + struct.pack(">H", 12) + IPV4,
    "bad_v2_udp": v2(0x21, 0x12, IPV4),
    "bad_v2_short": v2(0x21, 0x21, bytes(12)),
    "garbage_kafka": KAFKA,
    "garbage_tls": bytes([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc]),
    "garbage_http": b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
}

for name, data in SEEDS.items():
    (HERE / name).write_bytes(data)
print(f"wrote {len(SEEDS)} seeds to {HERE}")
