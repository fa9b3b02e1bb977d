#!/usr/bin/env bats
# imgq-env: a .env file into a command's environment, nothing evaluated.

load helpers/common

setup_file() {
	imgq_setup_file
}

setup() {
	f=$BATS_TEST_TMPDIR/test.env
}

@test "values: unquoted with a comment, single and double quotes, export, last line wins" {
	cat >"$f" <<'EOF'
# a comment

A=plain value   # a comment
export B='single $HOME #not a comment'
C="tab\there \"q\" \$HOME"
D=a#b
  E = spaced
F=
A=second
EOF
	run -0 imgq-env "$f" sh -c 'printf "[%s]\n" "$A" "$B" "$C" "$D" "$E" "$F"'
	[ "$output" = '[second]
[single $HOME #not a comment]
[tab	here "q" $HOME]
[a#b]
[spaced]
[]' ]
}

@test "a double-quoted \\n makes a newline; CRLF line ends are accepted" {
	printf 'M="one\\ntwo"\r\nN=x\r\n' >"$f"
	run -0 imgq-env "$f" sh -c 'printf "%s|%s" "$M" "$N"'
	[ "$output" = 'one
two|x' ]
}

@test "nothing is evaluated" {
	# shellcheck disable=SC2016
	printf 'X=$(touch %s/pwned)\nY=`id`\n' "$BATS_TEST_TMPDIR" >"$f"
	run -0 imgq-env "$f" sh -c 'printf "%s %s" "$X" "$Y"'
	[ "$output" = "\$(touch $BATS_TEST_TMPDIR/pwned) \`id\`" ]
	[ ! -e "$BATS_TEST_TMPDIR/pwned" ]
}

@test "the environment wins over the file, unless -o" {
	printf 'REDIS_URL=redis://from-file:1/0\n' >"$f"
	REDIS_URL=redis://from-env:2/0 run -0 imgq-env "$f" printenv REDIS_URL
	[ "$output" = redis://from-env:2/0 ]
	REDIS_URL=redis://from-env:2/0 run -0 imgq-env -o "$f" printenv REDIS_URL
	[ "$output" = redis://from-file:1/0 ]
}

@test "the command's arguments and exit status pass through" {
	printf 'K=v\n' >"$f"
	run -3 imgq-env "$f" sh -c 'echo "$K $1 $2"; exit 3' sh 'a b' c
	[ "$output" = "v a b c" ]
}

@test "a line that is not KEY=value is refused with its number (78)" {
	printf 'A=1\n1BAD=2\n' >"$f"
	run -78 imgq-env "$f" true
	[ "$output" = "imgq-env: fatal: $f: line 2: expected KEY=value" ]
	printf 'A="open\n' >"$f"
	run -78 imgq-env "$f" true
	[ "$output" = "imgq-env: fatal: $f: line 1: unterminated double quote" ]
	printf "A='x' y\n" >"$f"
	run -78 imgq-env "$f" true
	[ "$output" = "imgq-env: fatal: $f: line 1: text after the closing quote" ]
}

@test "a missing file, a file over 1 MiB and a missing command are configuration errors (78)" {
	run -78 imgq-env "$BATS_TEST_TMPDIR/none.env" true
	[ "$output" = "imgq-env: fatal: $BATS_TEST_TMPDIR/none.env: No such file or directory" ]
	head -c 1048577 /dev/zero | tr '\0' '#' >"$f"
	run -78 imgq-env "$f" true
	[ "$output" = "imgq-env: fatal: $f: larger than 1048576 bytes" ]
	printf 'A=1\n' >"$f"
	run -78 imgq-env "$f" no-such-command-here
	[ "$output" = "imgq-env: fatal: no-such-command-here: command not found" ]
}

@test "-s sends its own errors to syslog, not to standard error" {
	run -78 --separate-stderr imgq-env -s "$BATS_TEST_TMPDIR/none.env" true
	[ "$output" = "" ]
	[ "$stderr" = "" ]
}

@test "bad usage is exit 64 with the usage line" {
	run -64 imgq-env
	[ "$output" = "usage: imgq-env [-os] file command [arg ...]" ]
	run -64 imgq-env "$f"
	[ "$output" = "usage: imgq-env [-os] file command [arg ...]" ]
}

@test "etc/imgq.env.example loads, and sets only the lines it leaves uncommented" {
	run -0 env -i PATH="$PATH" imgq-env "$IMGQ_TOP/etc/imgq.env.example" \
		sh -c 'env | grep -E "^(REDIS|AWS|IMGQ)_" | sort'
	[ "$output" = "AWS_ACCESS_KEY_ID=
AWS_BUCKET_NAME=imgq
AWS_REGION=us-east-1
AWS_SECRET_ACCESS_KEY=
REDIS_URL=redis://127.0.0.1:6379/0" ]
}

@test "etc/imgq.env.example names every variable the programs read" {
	local v missing=()
	# String literals of the C sources (env_*("X"), getenv("X"), paths
	# named by variable) and the variables of the shell programs.
	while read -r v; do
		grep -qw -- "$v" "$IMGQ_TOP/etc/imgq.env.example" || missing+=("$v")
	done < <({
		grep -rhoE '"(AWS|IMGQ|REDIS)_[A-Z0-9_]+"' "$IMGQ_TOP"/src |
			tr -d '"'
		grep -rhoE '(env_[a-z_]+|getenv)\("[A-Za-z_][A-Za-z0-9_]*"' \
			"$IMGQ_TOP"/src | sed -E 's/.*\("//; s/"$//'
		grep -hoE '\$\{?(AWS|IMGQ|REDIS)_[A-Z0-9_]+' \
			"$IMGQ_TOP"/scripts/imgq-* | sed -E 's/^\$\{?//'
	} | grep -vxE 'HOME|PATH' | sort -u)
	[ "${#missing[@]}" = 0 ] || { echo "not in imgq.env.example: ${missing[*]}"; false; }
}

@test "the command gets descriptors 0 to 2 and nothing else" {
	printf 'A=1\n' >"$f"
	# ls's own directory is the 3
	run -0 only_std_fds imgq-env "$f" sh -c 'ls /proc/self/fd | sort -n | tr "\n" " "'
	[ "$output" = "0 1 2 3 " ]
}
