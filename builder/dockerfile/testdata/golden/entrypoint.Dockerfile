FROM scratch AS base
CMD ["serve", "--port=80"]
ENTRYPOINT ["/bin/app"]
HEALTHCHECK CMD ["/bin/app", "health"]

FROM base AS child
ENTRYPOINT /bin/app --child
HEALTHCHECK NONE
STOPSIGNAL 9
