#!/usr/bin/env bats
# The build: install and uninstall honour PREFIX and DESTDIR; the programs
# keep the exit-status contract of imgq(7) for bad arguments.

load helpers/common

setup_file() {
	imgq_setup_file
}

mk() {
	make -s -C "$IMGQ_TOP" O="${IMGQ_BUILD:-$IMGQ_TOP/build}" B="$IMGQ_BIN" "$@"
}

@test "make install DESTDIR PREFIX=/usr puts programs and man pages in place" {
	d=$BATS_TEST_TMPDIR/root
	mkdir "$d"
	run -0 mk install DESTDIR="$d" PREFIX=/usr
	n=0
	for p in "$IMGQ_BIN"/*; do
		[ -x "$d/usr/bin/$(basename "$p")" ]
		n=$((n + 1))
	done
	[ "$n" -gt 0 ]
	for m in "$IMGQ_TOP"/man/*.[1-8]; do
		[ -f "$m" ] || continue
		s=${m##*.}
		cmp "$m" "$d/usr/share/man/man$s/$(basename "$m")"
	done
	# nothing outside /usr
	run -0 find "$d" -mindepth 1 -maxdepth 1
	[ "$output" = "$d/usr" ]
}

@test "make uninstall removes everything install put there" {
	d=$BATS_TEST_TMPDIR/root
	mkdir "$d"
	run -0 mk install DESTDIR="$d" PREFIX=/opt/imgq
	run -0 mk uninstall DESTDIR="$d" PREFIX=/opt/imgq
	run -0 find "$d" -type f
	[ "$output" = "" ]
}

@test "every program answers a bad option with a usage line and exit 64" {
	n=0
	for p in "$IMGQ_BIN"/*; do
		run -64 "$p" --no-such-option-here
		[[ "$output" == *"usage: $(basename "$p")"* ]]
		n=$((n + 1))
	done
	[ "$n" -gt 0 ]
}

@test "every program has a man page whose SYNOPSIS names it" {
	for p in "$IMGQ_BIN"/*; do
		b=$(basename "$p")
		m=$(ls "$IMGQ_TOP"/man/"$b".[1-8])
		grep -q "^\.Nm $b\$" "$m"
	done
}
