"""The Discord-free rules every feature shares: who acts (and who may change a server's
settings), member text cleaned and checked, mention refusal, pages of lists, plain values made
from rows, Markdown paging, clocks and time zones.
"""
