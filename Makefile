# onewindow - build, run and test. `make run` and `make test` are the two commands a
# newcomer needs (README.md). Every library comes through pkg-config.

CC       ?= cc
PKGS     := libmicrohttpd jansson libcurl sqlite3 libpq inih libcrypto zlib libargon2 liboath libqrencode icu-uc icu-i18n pangocairo
BUILD    ?= build
PORT     ?= 8080
DATA     ?= var

WARN     := -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter -Wformat=2
HARDEN   := -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
CFLAGS   ?= -O2 -g
ALL_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) -Isrc -I$(BUILD)/gen \
              $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDFLAGS_H := -pie -Wl,-z,relro,-z,now
LIBS     := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread -lm

# Quiet by default: one line per file (`make V=1` shows the commands).
V ?= 0
ifeq ($(V),0)
  Q  := @
  say = @printf '  %-5s %s\n' '$(1)' '$(2)'
else
  Q  :=
  say =
endif

ifeq ($(SAN),1)
  # The sanitizer build: ASan + UBSan, no fortify (it conflicts with ASan's interceptors).
  HARDEN := -fPIE
  ALL_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all -O1
  LDFLAGS_H += -fsanitize=address,undefined
endif
ALL_CFLAGS += $(HARDEN)

SRCS       := $(shell find src -name '*.c' | sort)
LIB_SRCS   := $(filter-out src/app/main.c,$(SRCS))
OBJS       := $(SRCS:%.c=$(BUILD)/obj/%.o)
LIB_OBJS   := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/gen/embed.o
EMBED_IN   := $(shell find web src/store/migrations data -type f | LC_ALL=C sort)
# Generated at build time and embedded under web/static/ (tools/embed.c's NAME=FILE): the
# Tibetan web font cut from the Debian-packaged Noto Serif Tibetan, and its @font-face.
TIBETAN_TTF ?= /usr/share/fonts/truetype/noto/NotoSerifTibetan-Regular.ttf
FONT_OUT   := $(BUILD)/gen/static/fonts
EMBED_GEN  := web/static/fonts/tibetan.css=$(FONT_OUT)/tibetan.css \
              web/static/fonts/tibetan.woff2=$(FONT_OUT)/tibetan.woff2
UNIT_SRCS  := $(wildcard tests/unit/*_test.c)
UNIT_BINS  := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRCS  := $(wildcard fuzz/*_fuzz.c)

.PHONY: format-check check FORCE all run deps test unit unit-asan api api-sqlite api-pg browser fuzz fuzz-replay \
        bench clean format lint

all: $(BUILD)/onewindow

$(BUILD)/tools/embed: tools/embed.c
	@mkdir -p $(dir $@)
	$(call say,CC,$@)
	$(Q)$(CC) -std=c11 -O2 -Wall -Wextra -Werror -o $@ $<

# The list of embedded files is a dependency too: a file added, removed or renamed
# (which keeps its old mtime) must regenerate the table.
$(BUILD)/gen/embed.list: FORCE
	@mkdir -p $(dir $@)
	@echo "$(EMBED_IN) $(EMBED_GEN)" | cmp -s - $@ || echo "$(EMBED_IN) $(EMBED_GEN)" > $@

# The CSS names the font by its ETag, so both come from one rule (grouped target).
$(FONT_OUT)/tibetan.woff2 $(FONT_OUT)/tibetan.css &: $(wildcard $(TIBETAN_TTF)) tools/tibetan-font.sh $(BUILD)/tools/embed
	$(call say,FONT,$(FONT_OUT)/tibetan.woff2)
	$(Q)tools/tibetan-font.sh $(TIBETAN_TTF) $(FONT_OUT)/tibetan.woff2 $(FONT_OUT)/tibetan.css \
	    $(BUILD)/tools/embed

$(BUILD)/gen/embed.c: $(BUILD)/tools/embed $(EMBED_IN) $(FONT_OUT)/tibetan.woff2 \
                      $(FONT_OUT)/tibetan.css $(BUILD)/gen/embed.list
	@mkdir -p $(dir $@)
	$(call say,EMBED,$(words $(EMBED_IN) $(EMBED_GEN)) files)
	$(Q)$(BUILD)/tools/embed $@ $(EMBED_IN) $(EMBED_GEN)

FORCE:

$(BUILD)/obj/gen/embed.o: $(BUILD)/gen/embed.c
	@mkdir -p $(dir $@)
	$(call say,CC,$<)
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(call say,CC,$<)
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/libonewindow.a: $(LIB_OBJS)
	@rm -f $@
	$(call say,AR,$@)
	$(Q)ar rcs $@ $^

$(BUILD)/onewindow: $(BUILD)/obj/src/app/main.o $(BUILD)/libonewindow.a
	$(call say,LD,$@)
	$(Q)$(CC) $(LDFLAGS_H) -o $@ $^ $(LIBS)

# Each unit test is one file plus the shared fixture (tests/unit/fixture.c).
$(BUILD)/tests/%: tests/unit/%.c tests/unit/fixture.c tests/unit/fixture.h $(BUILD)/libonewindow.a
	@mkdir -p $(dir $@)
	$(call say,CC,$<)
	$(Q)$(CC) $(ALL_CFLAGS) $(shell pkg-config --cflags cmocka) $(LDFLAGS_H) -o $@ $< \
	    tests/unit/fixture.c $(BUILD)/libonewindow.a $(LIBS) $(shell pkg-config --libs cmocka)

-include $(OBJS:.o=.d)

deps:
	@scripts/install-deps.sh

# First start: create the database, load reference and demo data; then serve. The build
# runs in a second make, after deps: the pkg-config flags above are read when a make
# starts, and on a fresh machine the libraries arrive only with deps.
run: deps
	@$(MAKE) --no-print-directory all
	@mkdir -p $(DATA)
	@if [ ! -f $(DATA)/onewindow.db ]; then \
	    $(BUILD)/onewindow init --data $(DATA) --log-level warn && \
	        $(BUILD)/onewindow demo --data $(DATA) --log-level warn || exit 1; \
	fi
	@scripts/welcome.sh $(BUILD)/onewindow $(PORT)
	@$(BUILD)/onewindow serve --data $(DATA) --listen 127.0.0.1:$(PORT)

# Every suite; tests/run.sh starts and stops its own servers (a throwaway PostgreSQL too).
test: deps
	@tests/run.sh all

unit: $(UNIT_BINS)
	@tests/run-unit.sh $(BUILD)/tests

unit-asan:
	@$(MAKE) --no-print-directory BUILD=build-asan SAN=1 unit

fuzz:
	@scripts/build-fuzz.sh

$(BUILD)/bench/commit_rate: bench/commit_rate.c $(BUILD)/libonewindow.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS_H) -o $@ $< $(BUILD)/libonewindow.a $(LIBS)

$(BUILD)/bench/apply_bench: bench/apply_bench.c $(BUILD)/libonewindow.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS_H) -o $@ $< $(BUILD)/libonewindow.a $(LIBS)

$(BUILD)/bench/pay_bench: bench/pay_bench.c $(BUILD)/libonewindow.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS_H) -o $@ $< $(BUILD)/libonewindow.a $(LIBS)

$(BUILD)/bench/certs_bench: bench/certs_bench.c $(BUILD)/libonewindow.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS_H) -o $@ $< $(BUILD)/libonewindow.a $(LIBS)

$(BUILD)/bench/benefits_bench: bench/benefits_bench.c $(BUILD)/libonewindow.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS_H) -o $@ $< $(BUILD)/libonewindow.a $(LIBS)

$(BUILD)/bench/exchange_bench: bench/exchange_bench.c $(BUILD)/libonewindow.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS_H) -o $@ $< $(BUILD)/libonewindow.a $(LIBS)

bench: deps
	@$(MAKE) --no-print-directory all $(BUILD)/bench/commit_rate $(BUILD)/bench/apply_bench $(BUILD)/bench/certs_bench \
	    $(BUILD)/bench/pay_bench $(BUILD)/bench/benefits_bench $(BUILD)/bench/exchange_bench
	@bench/run.sh

# The style held by the tools: every C file as .clang-format has it, cppcheck clean with the
# libraries' macros it needs (tools/cppcheck/onewindow.cfg). `make check` runs both;
# tests/run.sh runs it as a suite. (No bo string is a copy of zh or en: tests/unit/i18n_test.c.)
STYLE_FILES = $(SRCS) $(wildcard src/*/*.h) $(UNIT_SRCS) tests/unit/test.h tests/unit/fixture.[ch] \
              $(FUZZ_SRCS) \
              $(wildcard bench/*.c) tools/embed.c

format:
	clang-format -i $(STYLE_FILES)

format-check:
	@clang-format --dry-run -Werror $(STYLE_FILES)

lint: $(BUILD)/gen/embed.c
	@cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
	    --inline-suppr --suppress=missingIncludeSystem --suppress=readdirCalled -j2 \
	    --library=openssl --library=posix --library=sqlite3 --library=cairo \
	    --library=tools/cppcheck/onewindow.cfg -Isrc -I$(BUILD)/gen $(SRCS)

check: format-check lint

clean:
	rm -rf build build-asan build-fuzz
