FROM alpine

RUN echo ok \
    && echo continued
COPYY a b
