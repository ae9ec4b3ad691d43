FROM busybox-base
ARG GREETING=hello
ARG TARGET
ENV PATH=/usr/local/bin:/bin
RUN echo "$GREETING" > /greeting
COPY hello.txt /app/
COPY --chmod=0644 hello.txt /app/copy.txt
WORKDIR /app
RUN ["/bin/sh", "-c", "cat hello.txt"]
RUN --mount=type=cache,target=/cache echo "$GREETING $TARGET" > /cache/x
ARG GREETING
RUN echo "again $GREETING"
CMD ["cat", "/greeting"]
