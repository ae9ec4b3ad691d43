# syntax=docker/dockerfile:1
FROM busybox-base
ARG NAME=world
RUN <<EOT
echo "hello $NAME" > /greeting
EOT
RUN <<-SCRIPT
	#!/bin/sh
	echo from a script
SCRIPT
RUN cat <<A > /a && cat <<B > /b
first
A
second
B
COPY <<EOF /etc/motd
Hello, ${NAME}!
EOF
COPY <<"RAW" /etc/raw
kept ${NAME}
RAW
