/*
 * A HotSpot disassembler plugin (hsdis) over the Capstone library, for reading the machine code
 * C2 makes of the hot path: JMH's `-prof perfasm` and `-XX:+PrintAssembly` load it. Debian's
 * libhsdis0-fcml exports only the pre-JDK 9 entry point, which JDK 25 no longer calls, and the
 * JDK ships no hsdis; this file is the one entry point the JDK calls (see hotspot's
 * disassembler.cpp), nothing more.
 *
 * Build and install (as root; a development tool, nothing in the build or CI needs it):
 *   apt-get install -y libcapstone-dev
 *   gcc -O2 -shared -fPIC -o hsdis-amd64.so jmh/tools/hsdis/hsdis-capstone.c -lcapstone
 *   cp hsdis-amd64.so "$JAVA_HOME/lib/"
 * Use (no hardware counters on this VM, so sample the CPU clock):
 *   java $(sed -n 's/^gingham\.jvmFlags=//p' jvm.properties) -cp jmh/target/gingham-benchmarks.jar \
 *     dev.gingham.jmh.BenchMain 'EncapBenchmark.encap$' -p mode=VXLAN -f 1 \
 *     -prof 'perfasm:events=cpu-clock;intelSyntax=true'
 */
#include <stdint.h>
#include <stddef.h>
#include <capstone/capstone.h>

typedef void *(*event_callback_t)(void *stream, const char *event, void *arg);
typedef int (*printf_callback_t)(void *stream, const char *format, ...);

/* Disassembles [start_va, end_va) held in buffer; reports each instruction's bounds as "insn" and
 * "/insn" events (HotSpot prints its annotations between them) and returns where it stopped. */
void *decode_instructions_virtual(uintptr_t start_va, uintptr_t end_va, unsigned char *buffer, uintptr_t length,
                                  event_callback_t event, void *event_stream,
                                  printf_callback_t print, void *print_stream,
                                  const char *options, int newline) {
    (void) end_va;
    (void) options;
    csh handle;
    if (cs_open(CS_ARCH_X86, CS_MODE_64, &handle) != CS_ERR_OK) {
        return NULL;
    }
    cs_insn *instructions;
    size_t count = cs_disasm(handle, buffer, length, start_va, 0, &instructions);
    uintptr_t end = start_va;
    for (size_t k = 0; k < count; k++) {
        cs_insn *insn = &instructions[k];
        event(event_stream, "insn", (void *) (uintptr_t) insn->address);
        print(print_stream, "%s\t%s", insn->mnemonic, insn->op_str);
        event(event_stream, "/insn", (void *) (uintptr_t) (insn->address + insn->size));
        if (newline) {
            print(print_stream, "\n");
        }
        end = insn->address + insn->size;
    }
    if (count > 0) {
        cs_free(instructions, count);
    }
    cs_close(&handle);
    return (void *) end;
}
