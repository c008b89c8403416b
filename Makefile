# quire — build, run, test. See README.md.
#   make            build build/quired, build/quire, build/quire-device and the unit tests
#   make run        start quired on its embedded defaults (https://localhost:8443)
#   make check      install missing dependencies, build normal and ASan+UBSan trees, run
#                   every test (unit + end-to-end on SQLite and PostgreSQL)
#   make SANITIZE=address,undefined   the sanitizer build (in build-asan/)
#   make fuzz       libFuzzer targets (build-fuzz/)
#   make bench      benchmarks (bench/README.md)
#   make guides     new screenshots and PDFs of the guides (docs/guides/README.md; needs Chromium)
#   make format     clang-format the C sources

# Node.js 20 fetched by scripts/deps.sh when the system's is older (Debian 12 ships 18).
export PATH := $(CURDIR)/.tools/node/bin:$(PATH)

SANITIZE ?=
ifeq ($(SANITIZE),)
  B := build
  OPT := -O2
  SAN :=
else
  B := build-asan
  OPT := -O1
  SAN := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=undefined
endif

CC ?= cc
PG_INC := $(shell pg_config --includedir 2>/dev/null || echo /usr/include/postgresql)
CFLAGS := -std=c11 -D_GNU_SOURCE -g $(OPT) -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wmissing-prototypes \
          -Wno-format-nonliteral -fstack-protector-strong -pthread -Isrc -I$(PG_INC) \
          -I/usr/include/leptonica $(SAN) \
          -MMD -MP
# MuPDF is static only on Debian (DESIGN section 5): its archives and what they need.
MUPDF_LIBS := -lmupdf -lmupdf-third -lz -ljpeg -lopenjp2 -ljbig2dec -lfreetype -lharfbuzz \
              -lgumbo -lmujs -lm -lpthread
# The scan pipeline: Tesseract (links libgomp: engines are made single-threaded), Leptonica,
# libtiff (TIFF directories are walked from memory before decoding), ZBar.
SCAN_LIBS := -ltesseract -llept -ltiff -lzbar -lgomp
LDLIBS := -lmicrohttpd -ljansson -lsqlite3 -lpq -lcurl -lssl -lcrypto -largon2 -licui18n -licuuc \
          -licudata -lcups -larchive $(MUPDF_LIBS) $(SCAN_LIBS)
# DNS-SD advertising of the IPP queue through the Avahi daemon (src/print/dnssd.c, issue 15).
LDLIBS += -lavahi-client -lavahi-common
LDFLAGS := $(SAN) -pthread

LIB_SRC := $(wildcard src/core/*.c src/crypto/*.c src/store/*.c src/tenancy/*.c src/auth/*.c \
             src/report/*.c src/http/*.c src/api/*.c src/device/*.c src/print/*.c \
             src/scan/*.c src/admin/*.c) src/cmd/app.c
LIB_ASM := src/auth/common_passwords.S src/api/printer_icons.S
# The web portal (web/), built by scripts/web-build.mjs into $(B)/web/ (content-hashed names)
# and into a generated C table that quired serves from memory (docs/design-notes.md).
WEB_SRC := $(shell find web docs/guides -type f) scripts/web-build.mjs scripts/guide-render.mjs \
           package-lock.json
WEB_C := $(B)/gen/web_assets.c
LIB_OBJ := $(LIB_SRC:%.c=$(B)/obj/%.o) $(LIB_ASM:%.S=$(B)/obj/%.o) $(B)/obj/gen/web_assets.o
CLIENT_SRC := $(wildcard src/client/*.c)
CLIENT_OBJ := $(CLIENT_SRC:%.c=$(B)/obj/%.o)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:%.c=$(B)/%)

all: $(B)/quired $(B)/quire $(B)/quire-device $(UNIT_BIN)

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(B)/obj/%.o: %.S data/common-passwords.txt $(wildcard data/icons/*.png)
	@mkdir -p $(dir $@)
	$(CC) -c $< -o $@

$(WEB_C): $(WEB_SRC)
	node scripts/web-build.mjs $(B)/web $@

$(B)/obj/gen/web_assets.o: $(WEB_C)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(B)/libquire.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(B)/quired: $(B)/obj/src/cmd/quired.o $(B)/libquire.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/quire: $(B)/obj/src/cmd/quire.o $(B)/libquire.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The device client (docs/device.md): quire's API over libcurl, printers over libcups. Its
# files of src/cmd/ link into quire-device only (not libquire.a).
DEVICE_OBJ := $(patsubst %.c,$(B)/obj/%.o,src/cmd/quire_device.c $(wildcard src/cmd/device_*.c))
$(B)/quire-device: $(DEVICE_OBJ) $(CLIENT_OBJ) $(B)/libquire.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcups

$(B)/tests/unit/test_client: $(B)/obj/tests/unit/test_client.o $(CLIENT_OBJ) $(B)/libquire.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcups -lcmocka

$(B)/tests/unit/%: $(B)/obj/tests/unit/%.o $(B)/libquire.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

deps:
	@scripts/deps.sh

run: deps
	$(MAKE) $(B)/quired
	$(B)/quired

check: deps
	$(MAKE) all
	$(MAKE) SANITIZE=address,undefined all
	$(MAKE) lint
	scripts/check.sh

# Style and shape gate (STYLE.md, docs/architecture.md): formatted sources, no banned string
# functions, includes that point down the layers only, no function over 120 lines or
# complexity 30 without a "Kept whole:" reason. (-Wmissing-prototypes is in CFLAGS.)
lint:
	@clang-format --dry-run --Werror $(shell find src tests/unit tests/fuzz -name '*.[ch]')
	@scripts/layers.sh
	@scripts/complexity.sh
	@! grep -nE '\b(strcpy|strcat|sprintf|vsprintf|strtok|atoi|atol|gets)\s*\(' \
	    $(shell find src tests/unit tests/fuzz -name '*.[ch]') || \
	    (echo "banned function used (STYLE.md)"; exit 1)

format:
	clang-format -i $(shell find src tests/unit tests/fuzz -name '*.[ch]')

FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build-fuzz/%)
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -Wall -Wextra -Werror -Isrc -I$(PG_INC) \
               -I/usr/include/leptonica \
               -fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer -pthread

fuzz: $(FUZZ_BIN)

build-fuzz/%: tests/fuzz/%.c $(LIB_SRC) $(LIB_ASM) $(WEB_C)
	@mkdir -p build-fuzz
	clang $(FUZZ_CFLAGS) -o $@ $< $(LIB_SRC) $(LIB_ASM) $(WEB_C) $(LDLIBS)

# The guides' screenshots (of this build's portal) and PDFs, committed in docs/guides/; the
# make after it builds them into quired.
guides: $(B)/quired $(B)/quire
	QUIRE_BIN_DIR=$(B) node scripts/guides.mjs
	$(MAKE) all

bench: all
	bench/run.sh
	bench/oauth.sh
	bench/spool.sh
	node bench/release.mjs
	bench/pdf.sh
	bench/raster.sh
	bench/scan.sh
	bench/ipp.sh
	bench/backup.sh
	bench/reports.sh
	bench/portal.sh

clean:
	rm -rf build build-asan build-fuzz

.PHONY: all deps run check lint format fuzz guides bench clean
.SECONDARY:

-include $(shell find $(B) -name '*.d' 2>/dev/null)
